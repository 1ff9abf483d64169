import { type GenerationParams, MODELS } from '@imagen-queue/shared';
import { providerError } from '../error-table.ts';
import { providerModelName } from './provider-models.ts';
import {
  type ImageSource,
  isRecord,
  looksLikeRefusal,
  type ParsedAnswer,
  type ProviderAdapter,
  stringField,
} from './types.ts';

/**
 * Google's own Imagen endpoint (Gemini API): `POST /v1beta/models/{model}:predict` with
 * `instances`/`parameters`, answering `{ predictions: [{ bytesBase64Encoded, mimeType, prompt }] }`.
 * A filtered image comes back as `{ raiFilteredReason }` when `includeRaiReason` is set; when all
 * are filtered the body may have no `predictions` at all.
 */
export const googleAdapter: ProviderAdapter = {
  name: 'google',

  buildRequest(params: GenerationParams, apiKey: string) {
    const spec = MODELS[params.model];
    return {
      path: `/v1beta/models/${encodeURIComponent(providerModelName('google', params.model))}:predict`,
      headers: { 'x-goog-api-key': apiKey },
      body: {
        instances: [{ prompt: params.prompt }],
        parameters: {
          sampleCount: params.num_images,
          aspectRatio: params.aspect_ratio,
          personGeneration: params.person_generation,
          safetySetting: params.safety_setting,
          addWatermark: params.add_watermark,
          ...(spec.supportsEnhancePrompt ? { enhancePrompt: params.enhance_prompt } : {}),
          ...(params.seed !== undefined && spec.supportsSeed ? { seed: params.seed } : {}),
          includeRaiReason: true,
          outputOptions: { mimeType: 'image/png' },
        },
      },
    };
  },

  parseAnswer(body: unknown): ParsedAnswer {
    if (!isRecord(body)) {
      throw providerError('invalid_response', { message: 'the provider answered with no object' });
    }
    if (body.predictions !== undefined && !Array.isArray(body.predictions)) {
      throw providerError('invalid_response', { message: '`predictions` is not a list' });
    }
    const predictions = ((body.predictions as unknown[] | undefined) ?? []).filter(isRecord);
    const images: ImageSource[] = [];
    let enhancedPrompt: string | null = null;
    let filteredReason: string | null = null;
    for (const prediction of predictions) {
      const data = stringField(prediction, 'bytesBase64Encoded');
      if (data) images.push({ kind: 'base64', data });
      enhancedPrompt ??= stringField(prediction, 'prompt') ?? null;
      filteredReason ??= stringField(prediction, 'raiFilteredReason') ?? null;
    }
    return { images, enhancedPrompt, filteredReason };
  },

  describeError(body: unknown) {
    const error = isRecord(body) && isRecord(body.error) ? body.error : {};
    const message = (stringField(error, 'message') ?? 'no message').slice(0, 300);
    const details = Array.isArray(error.details) ? error.details.filter(isRecord) : [];
    // Google rejects a wrong key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
    const authFailure = details.some(
      (detail) => stringField(detail, 'reason') === 'API_KEY_INVALID',
    );
    return { message, refused: looksLikeRefusal(message), authFailure };
  },
};
