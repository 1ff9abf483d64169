import type { GenerationParams } from '@imagen-queue/contract';
import { providerError } from '../error-table.ts';
import { providerModelName } from './provider-models.ts';
import {
  type FetchImage,
  type ImageSource,
  isRecord,
  looksLikeRefusal,
  type ParsedAnswer,
  type ProviderAdapter,
  referenceUrls,
  stringField,
} from './types.ts';

/** Why Google stops a candidate or a prompt for safety (`finishReason` / `blockReason`). */
const SAFETY_REASONS = new Set([
  'SAFETY',
  'IMAGE_SAFETY',
  'PROHIBITED_CONTENT',
  'BLOCKLIST',
  'SPII',
  'OTHER',
]);

/**
 * Google's Gemini API as it serves image models now: `POST /v1beta/models/{model}:generateContent`
 * with the prompt (and reference images inline) as parts, answering
 * `candidates[].content.parts[].inlineData`. Imagen's `:predict` is gone with the models it served.
 */
export const googleAdapter: ProviderAdapter = {
  name: 'google',

  async buildRequest(params: GenerationParams, apiKey: string, fetchImage: FetchImage) {
    const model = providerModelName('google', params.model);
    if (model === null) {
      throw providerError('model_gone', {
        message: `Google no longer serves ${params.model}; use the AI/ML API or a Gemini image model`,
      });
    }
    const urls = referenceUrls(params);
    const images = await Promise.all(urls.map((url) => fetchImage(url)));
    return {
      path: `/v1beta/models/${encodeURIComponent(model)}:generateContent`,
      headers: { 'x-goog-api-key': apiKey },
      body: {
        contents: [
          {
            role: 'user',
            parts: [
              { text: params.prompt },
              ...images.map((image) => ({
                inlineData: { mimeType: image.mimeType, data: image.data.toString('base64') },
              })),
            ],
          },
        ],
        generationConfig: {
          responseModalities: ['IMAGE'],
          ...(params.num_images > 1 ? { candidateCount: params.num_images } : {}),
          imageConfig: {
            aspectRatio: params.aspect_ratio,
            ...(params.resolution ? { imageSize: params.resolution } : {}),
          },
        },
        ...(params.enable_web_search ? { tools: [{ google_search: {} }] } : {}),
      },
    };
  },

  parseAnswer(body: unknown): ParsedAnswer {
    if (!isRecord(body)) {
      throw providerError('invalid_response', { message: 'the provider answered with no object' });
    }
    const blockReason = isRecord(body.promptFeedback)
      ? stringField(body.promptFeedback, 'blockReason')
      : undefined;
    if (blockReason) {
      throw providerError('refused', { message: `Google blocked the prompt: ${blockReason}` });
    }
    if (body.candidates !== undefined && !Array.isArray(body.candidates)) {
      throw providerError('invalid_response', { message: '`candidates` is not a list' });
    }
    const candidates = ((body.candidates as unknown[] | undefined) ?? []).filter(isRecord);
    const images: ImageSource[] = [];
    let filteredReason: string | null = null;
    for (const candidate of candidates) {
      const reason = stringField(candidate, 'finishReason');
      if (reason && SAFETY_REASONS.has(reason)) filteredReason ??= reason;
      const parts = isRecord(candidate.content) ? candidate.content.parts : undefined;
      for (const part of Array.isArray(parts) ? parts.filter(isRecord) : []) {
        const inline = isRecord(part.inlineData) ? stringField(part.inlineData, 'data') : undefined;
        if (inline) images.push({ kind: 'base64', data: inline });
      }
    }
    if (images.length === 0 && filteredReason) {
      throw providerError('refused', { message: `Google stopped the image: ${filteredReason}` });
    }
    return { images, enhancedPrompt: null, filteredReason };
  },

  describeError(body: unknown, status: number) {
    const error = isRecord(body) && isRecord(body.error) ? body.error : {};
    const message = (stringField(error, 'message') ?? 'no message').slice(0, 300);
    const details = Array.isArray(error.details) ? error.details.filter(isRecord) : [];
    // Google rejects a wrong key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
    const authFailure = details.some(
      (detail) => stringField(detail, 'reason') === 'API_KEY_INVALID',
    );
    return {
      message,
      refused: looksLikeRefusal(message),
      authFailure,
      modelGone: status === 404 && /models\//.test(message),
      rateLimited: stringField(error, 'status') === 'RESOURCE_EXHAUSTED',
    };
  },
};
