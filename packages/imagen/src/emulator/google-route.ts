import { createHash } from 'node:crypto';
import { RESOLUTIONS } from '@imagen-queue/contract';
import Type from 'typebox';
import Value from 'typebox/value';
import { servedModel, sizeFor } from './provider-schema.ts';
import type { Route } from './route.ts';

const InlineData = Type.Object({
  inlineData: Type.Object({ mimeType: Type.String(), data: Type.String({ minLength: 1 }) }),
});

/** `generateContent` for image output, as far as the Gemini image models take it. */
const Body = Type.Object({
  contents: Type.Array(
    Type.Object({
      role: Type.Optional(Type.String()),
      parts: Type.Array(
        Type.Union([Type.Object({ text: Type.String({ minLength: 1 }) }), InlineData]),
        {
          minItems: 1,
        },
      ),
    }),
    { minItems: 1, maxItems: 1 },
  ),
  generationConfig: Type.Optional(
    Type.Object({
      responseModalities: Type.Optional(Type.Array(Type.Enum(['TEXT', 'IMAGE']))),
      candidateCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
      imageConfig: Type.Optional(
        Type.Object(
          {
            aspectRatio: Type.Optional(Type.String()),
            imageSize: Type.Optional(Type.Enum(RESOLUTIONS)),
          },
          { additionalProperties: false },
        ),
      ),
    }),
  ),
  tools: Type.Optional(Type.Array(Type.Object({ google_search: Type.Object({}) }))),
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

function described({ mimeType, data }: { mimeType: string; data: string }) {
  const bytes = Buffer.from(data, 'base64');
  return {
    mime_type: mimeType,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

const PATH = /^\/v1beta\/models\/([^/:]+):generateContent$/;

/** Gemini API image models: `POST /v1beta/models/{model}:generateContent` with `x-goog-api-key` (or `?key=`). */
export const googleRoute: Route & { invalid(message: string): ReturnType<Route['error']> } = {
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
    const spec = servedModel('google', model);
    if (!spec) return { answer: this.modelGone(model) };
    if (!Value.Check(Body, body)) {
      const [first] = Value.Errors(Body, body);
      const where = first?.instancePath || '/';
      return { answer: this.invalid(`${where} ${first?.message ?? ''}`.trim()) };
    }
    const parts = body.contents[0]!.parts;
    const text = parts.flatMap((part) => ('text' in part ? [part.text] : [])).join('\n');
    const inline = parts.flatMap((part) => ('inlineData' in part ? [part.inlineData] : []));
    const references = inline.length;
    const config = body.generationConfig ?? {};
    const image = config.imageConfig ?? {};
    const ratio = image.aspectRatio ?? '1:1';
    const count = config.candidateCount ?? 1;
    // The model's own rules, as Google enforces them: its ratios, sizes and reference count.
    const problem = !text
      ? 'contents.parts must include text'
      : !(ratio in spec.sizes)
        ? `imageConfig.aspectRatio ${ratio} is not supported by ${model}`
        : image.imageSize !== undefined && !('resolution' in spec.fields)
          ? `imageConfig.imageSize is not supported by ${model}`
          : references > 0 && !('image_urls' in spec.fields)
            ? `${model} takes no reference images`
            : references > 5
              ? 'at most 5 reference images'
              : count > spec.maxImages
                ? `candidateCount must be <= ${spec.maxImages} for ${model}`
                : null;
    if (problem) return { answer: this.invalid(problem) };
    return {
      request: {
        model,
        prompt: text,
        count,
        seed: undefined,
        ratio,
        size: sizeFor(spec, ratio, image.imageSize),
        enhance: false,
        asUrl: false,
        includeRaiReason: false,
        ...(references > 0 ? { references: { inline_data: inline.map(described) } } : {}),
      },
    };
  },

  invalid(message: string) {
    return this.error(400, `Invalid JSON payload: ${message}`);
  },

  modelGone(model) {
    return this.error(
      404,
      `models/${model} is not found for API version v1beta, or is not supported for generateContent.`,
    );
  },

  error(status, message) {
    return {
      status,
      body: { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } },
    };
  },

  refusal() {
    // Google answers 200 and says why in `promptFeedback`, with no candidates.
    return { status: 200, body: { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } } };
  },

  answer({ request, images, filtered }) {
    const candidates: Record<string, unknown>[] = images.map((image, index) => ({
      content: {
        role: 'model',
        parts: [{ inlineData: { mimeType: 'image/png', data: image.bytes.toString('base64') } }],
      },
      finishReason: 'STOP',
      index,
    }));
    for (let i = 0; i < filtered; i++) {
      candidates.push({ finishReason: 'IMAGE_SAFETY', index: images.length + i });
    }
    return {
      status: 200,
      body: {
        candidates,
        modelVersion: request.model,
        usageMetadata: { candidatesTokenCount: 1290 * images.length },
      },
    };
  },
};
