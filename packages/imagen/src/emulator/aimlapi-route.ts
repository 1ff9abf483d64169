import { ASPECT_RATIOS, MODEL_NAMES, MODELS, type ModelName } from '@imagen-queue/shared';
import Type from 'typebox';
import Value from 'typebox/value';
import { providerModelName, registryModelName } from '../adapters/provider-models.ts';
import { type GenerationOutcome, REFUSAL_MESSAGE, type Route } from './route.ts';

const Body = Type.Object(
  {
    model: Type.Enum(MODEL_NAMES.map((name) => providerModelName('aimlapi', name))),
    prompt: Type.String({ minLength: 1, maxLength: 400 }),
    num_images: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
    enhance_prompt: Type.Optional(Type.Boolean()),
    aspect_ratio: Type.Optional(Type.Enum(ASPECT_RATIOS)),
    person_generation: Type.Optional(Type.Enum(['dont_allow', 'allow_adult', 'allow_all'])),
    safety_setting: Type.Optional(
      Type.Enum(['block_low_and_above', 'block_medium_and_above', 'block_only_high', 'block_none']),
    ),
    add_watermark: Type.Optional(Type.Boolean()),
    convert_base64_to_url: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** AI/ML API: `POST /v1/images/generations`, `Authorization: Bearer`, 201 with either shape. */
export const aimlapiRoute: Route = {
  authenticate(req, _url, apiKey) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) return this.error(401, 'Missing API key: send Authorization: Bearer <key>');
    if (apiKey !== null && match[1] !== apiKey) return this.error(401, 'Invalid API key');
    return null;
  },

  parse(body) {
    if (!Value.Check(Body, body)) {
      const [first] = Value.Errors(Body, body);
      const where = first?.instancePath || '/';
      return { answer: this.error(400, `${where}: ${first?.message ?? 'invalid body'}`) };
    }
    const model = registryModelName(body.model) as ModelName;
    const count = body.num_images ?? 1;
    if (count > MODELS[model].maxImages) {
      return {
        answer: this.error(
          400,
          `num_images must be <= ${MODELS[model].maxImages} for ${body.model}`,
        ),
      };
    }
    return {
      request: {
        model: body.model,
        prompt: body.prompt,
        count,
        seed: body.seed,
        ratio: body.aspect_ratio ?? '1:1',
        enhance: body.enhance_prompt ?? true,
        asUrl: body.convert_base64_to_url ?? false,
        includeRaiReason: false,
      },
    };
  },

  error(status, message) {
    return { status, body: { error: { message, type: errorType(status), code: status } } };
  },

  refusal() {
    const body = {
      error: {
        message: REFUSAL_MESSAGE,
        type: 'invalid_request_error',
        code: 'content_policy_violation',
      },
    };
    return { status: 400, body };
  },

  answer(outcome) {
    return {
      status: 201,
      body: outcome.shape === 'output' ? outputShape(outcome) : dataShape(outcome),
    };
  },

  bill(answer, { usd, credits }) {
    const body =
      typeof answer.body === 'object' && answer.body !== null
        ? { ...answer.body, meta: { usage: { credits_used: credits } } }
        : answer.body;
    return {
      ...answer,
      body,
      headers: {
        ...answer.headers,
        'x-aimlapi-credits-used': String(credits),
        'x-aimlapi-usd-spent': String(usd),
      },
    };
  },
};

function dataShape({ request, images, enhancedPrompt }: GenerationOutcome) {
  const prompt = enhancedPrompt ?? request.prompt;
  return {
    data: images.map((image) =>
      request.asUrl
        ? { url: image.url, mime_type: 'image/png', prompt }
        : { b64_json: image.bytes.toString('base64'), mime_type: 'image/png', prompt },
    ),
  };
}

/** The older task-style answer; it carries no URLs, so it is always base64. */
function outputShape({ request, images, enhancedPrompt }: GenerationOutcome) {
  return {
    status: 'succeeded',
    prompt: [enhancedPrompt ?? request.prompt],
    model: request.model,
    model_owner: 'google',
    tags: {},
    num_returns: images.length,
    args: {
      model: request.model,
      prompt: request.prompt,
      n: request.count,
      steps: 1,
      size: request.ratio,
    },
    subjobs: [],
    output: { choices: images.map((image) => ({ image_base64: image.bytes.toString('base64') })) },
  };
}

function errorType(status: number): string {
  if (status === 401 || status === 403) return 'authentication_error';
  if (status === 402) return 'insufficient_quota';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}
