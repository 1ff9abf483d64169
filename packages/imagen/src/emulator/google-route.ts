import { ASPECT_RATIOS, MODEL_NAMES, MODELS, type ModelName } from '@imagen-queue/shared';
import Type from 'typebox';
import Value from 'typebox/value';
import { FILTERED_MESSAGE, REFUSAL_MESSAGE, type Route } from './route.ts';

const SAFETY = ['block_low_and_above', 'block_medium_and_above', 'block_only_high', 'block_none'];

const Body = Type.Object({
  instances: Type.Array(Type.Object({ prompt: Type.String({ minLength: 1 }) }), {
    minItems: 1,
    maxItems: 1,
  }),
  parameters: Type.Optional(
    Type.Object({
      sampleCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
      aspectRatio: Type.Optional(Type.Enum(ASPECT_RATIOS)),
      personGeneration: Type.Optional(Type.Enum(['dont_allow', 'allow_adult', 'allow_all'])),
      // Google documents these lower-case; its SDKs send the upper-case enum names.
      safetySetting: Type.Optional(Type.Enum([...SAFETY, ...SAFETY.map((s) => s.toUpperCase())])),
      addWatermark: Type.Optional(Type.Boolean()),
      enhancePrompt: Type.Optional(Type.Boolean()),
      seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
      includeRaiReason: Type.Optional(Type.Boolean()),
      outputOptions: Type.Optional(Type.Object({ mimeType: Type.Optional(Type.String()) })),
    }),
  ),
});

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const PATH = /^\/v1beta\/models\/([^/:]+):predict$/;

/** Gemini API Imagen: `POST /v1beta/models/{model}:predict` with `x-goog-api-key` (or `?key=`). */
export const googleRoute: Route = {
  authenticate(req, url, apiKey) {
    const header = req.headers['x-goog-api-key'];
    const key = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('key');
    if (!key) {
      return this.error(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    }
    if (apiKey !== null && key !== apiKey) {
      const answer = this.error(400, 'API key not valid. Please pass a valid API key.');
      const reason = {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
      };
      return {
        ...answer,
        body: { error: { ...(answer.body as { error: object }).error, details: [reason] } },
      };
    }
    return null;
  },

  parse(body, url) {
    const model = decodeURIComponent(PATH.exec(url.pathname)?.[1] ?? '');
    if (!MODEL_NAMES.includes(model as ModelName)) {
      return {
        answer: this.error(
          404,
          `models/${model} is not found for API version v1beta, or is not supported for predict.`,
        ),
      };
    }
    if (!Value.Check(Body, body)) {
      const [first] = Value.Errors(Body, body);
      return {
        answer: this.error(
          400,
          `Invalid JSON payload: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim(),
        ),
      };
    }
    const parameters = body.parameters ?? {};
    const count = parameters.sampleCount ?? 4;
    if (count > MODELS[model as ModelName].maxImages) {
      return {
        answer: this.error(
          400,
          `sampleCount must be <= ${MODELS[model as ModelName].maxImages} for ${model}`,
        ),
      };
    }
    // As on Vertex AI: a seed only works with the watermark off, and the watermark is on by default.
    if (parameters.seed !== undefined && (parameters.addWatermark ?? true)) {
      return { answer: this.error(400, 'Seed is not supported when watermark is enabled.') };
    }
    return {
      request: {
        model,
        prompt: body.instances[0]!.prompt,
        count,
        seed: parameters.seed,
        ratio: parameters.aspectRatio ?? '1:1',
        enhance: parameters.enhancePrompt ?? true,
        asUrl: false,
        includeRaiReason: parameters.includeRaiReason ?? false,
      },
    };
  },

  error(status, message) {
    return {
      status,
      body: { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } },
    };
  },

  refusal() {
    return this.error(
      400,
      `Image generation failed with the following error: ${REFUSAL_MESSAGE} Support codes: 42876398`,
    );
  },

  answer({ request, images, enhancedPrompt, filtered }) {
    const predictions: Record<string, string>[] = images.map((image) => ({
      bytesBase64Encoded: image.bytes.toString('base64'),
      mimeType: 'image/png',
      ...(enhancedPrompt ? { prompt: enhancedPrompt } : {}),
    }));
    if (filtered > 0 && request.includeRaiReason)
      predictions.push({ raiFilteredReason: FILTERED_MESSAGE });
    // With every image filtered and no reason asked for, Google answers an empty object.
    return { status: 200, body: predictions.length > 0 ? { predictions } : {} };
  },
};
