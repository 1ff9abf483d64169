import type { GenerationParams } from '@imagen-queue/contract';
import { providerError } from '../error-table.ts';
import { aimlapiBody } from './aimlapi-body.ts';
import {
  type ImageSource,
  isRecord,
  looksLikeRefusal,
  type ParsedAnswer,
  type ProviderAdapter,
  stringField,
} from './types.ts';

/**
 * AI/ML API, `POST /v1/images/generations`. It answers in two documented shapes:
 * `{ data: [{ url | b64_json, mime_type, prompt }] }` and
 * `{ prompt: [...], output: { choices: [{ image_base64 }] }, … }`.
 */
export const aimlapiAdapter: ProviderAdapter = {
  name: 'aimlapi',

  buildRequest(params: GenerationParams, apiKey: string) {
    return {
      path: '/v1/images/generations',
      headers: { authorization: `Bearer ${apiKey}` },
      body: aimlapiBody(params),
    };
  },

  parseAnswer(body: unknown): ParsedAnswer {
    if (isRecord(body) && Array.isArray(body.data)) {
      const entries = body.data.filter(isRecord);
      const prompt = entries.map((entry) => stringField(entry, 'prompt')).find(Boolean);
      return {
        images: entries.map(sourceOf),
        enhancedPrompt: prompt ?? null,
        filteredReason: null,
      };
    }
    if (isRecord(body) && isRecord(body.output) && Array.isArray(body.output.choices)) {
      const choices = body.output.choices.filter(isRecord);
      const prompt = Array.isArray(body.prompt) ? body.prompt[0] : body.prompt;
      return {
        images: choices.map(sourceOf),
        enhancedPrompt: typeof prompt === 'string' ? prompt : null,
        filteredReason: null,
      };
    }
    throw providerError('invalid_response', {
      message: 'the provider answered with neither `data` nor `output.choices`',
    });
  },

  describeError(body: unknown, status: number) {
    const message = errorMessage(body);
    const code =
      isRecord(body) && isRecord(body.error) ? stringField(body.error, 'code') : undefined;
    return {
      message,
      refused: looksLikeRefusal(message, code),
      authFailure: false,
      modelGone: status === 404 && /model/i.test(message),
    };
  },
};

function sourceOf(entry: Record<string, unknown>): ImageSource {
  const inline =
    stringField(entry, 'b64_json') ??
    stringField(entry, 'image_base64') ??
    stringField(entry, 'b64');
  if (inline) return { kind: 'base64', data: inline };
  const url = stringField(entry, 'url') ?? stringField(entry, 'image_url');
  if (url) return { kind: 'url', url };
  throw providerError('invalid_response', { message: 'an image entry has neither bytes nor URL' });
}

/** Gateways word errors several ways: `{error:{message}}`, `{message}`, `{detail}`, `{error}`. */
function errorMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300) || 'no message';
  if (!isRecord(body)) return 'no message';
  const nested = isRecord(body.error) ? stringField(body.error, 'message') : undefined;
  const message =
    nested ??
    stringField(body, 'message') ??
    stringField(body, 'detail') ??
    stringField(body, 'error');
  return (message ?? 'no message').slice(0, 300);
}
