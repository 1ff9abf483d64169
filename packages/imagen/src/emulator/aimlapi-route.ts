import Value from 'typebox/value';
import { isRecord } from '../adapters/types.ts';
import { providerSchema, servedModel, sizeFor } from './provider-schema.ts';
import { type GenerationOutcome, REFUSAL_MESSAGE, type Route } from './route.ts';

/** AI/ML API: `POST /v1/images/generations`, `Authorization: Bearer`, 201 with either shape. */
export const aimlapiRoute: Route = {
  authenticate(req, _url, apiKey) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) return this.error(401, 'Missing API key: send Authorization: Bearer <key>');
    if (apiKey !== null && match[1] !== apiKey) return this.error(401, 'Invalid API key');
    return null;
  },

  parse(body) {
    const name = isRecord(body) && typeof body.model === 'string' ? body.model : '';
    const spec = servedModel('aimlapi', name);
    if (!spec) return { answer: this.modelGone(name || '(none)') };
    const schema = providerSchema(spec);
    if (!Value.Check(schema, body)) {
      const [first] = Value.Errors(schema, body);
      const where = first?.instancePath || '/';
      const extra = (first?.params as { additionalProperties?: string[] } | undefined)
        ?.additionalProperties;
      const detail = extra?.length ? `${extra.join(', ')} is not allowed` : first?.message;
      return { answer: this.error(400, `${where}: ${detail ?? 'invalid body'}`) };
    }
    const fields = body as Record<string, unknown>;
    const ratio = (fields.aspect_ratio as string | undefined) ?? '1:1';
    const asUrlDefault = (spec.fields.convert_base64_to_url as { default?: boolean } | undefined)
      ?.default;
    return {
      request: {
        model: name,
        prompt: fields.prompt as string,
        count: (fields.num_images as number | undefined) ?? 1,
        seed: fields.seed as number | undefined,
        ratio,
        size: sizeFor(spec, ratio, fields.resolution as string | undefined),
        enhance: 'enhance_prompt' in spec.fields && fields.enhance_prompt !== false,
        asUrl: (fields.convert_base64_to_url as boolean | undefined) ?? asUrlDefault ?? false,
        includeRaiReason: false,
        ...(fields.image_urls ? { references: { image_urls: fields.image_urls as string[] } } : {}),
      },
    };
  },

  modelGone(model) {
    return this.error(404, `Model ${model} not found or no longer available`);
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
