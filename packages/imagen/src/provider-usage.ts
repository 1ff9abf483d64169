import { isRecord } from './adapters/types.ts';
import type { HttpAnswer } from './http.ts';

/**
 * What one provider call cost, as the provider reported it: the AI/ML API sends
 * `x-aimlapi-credits-used` and `x-aimlapi-usd-spent`, and `meta.usage.credits_used` in the body.
 * `null` where it reported nothing: a figure we did not get is never replaced by a guess.
 */
export interface ProviderUsage {
  credits: number | null;
  usd: number | null;
}

/** `X-Client-Request-Id` takes 1–128 characters of `[A-Za-z0-9._:-]`. */
export function clientRequestId(jobId: string, call: number): string {
  return `${jobId.replace(/[^A-Za-z0-9.:-]/g, '-')}.${call}`.slice(0, 128);
}

export const CLIENT_REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function readProviderUsage(answer: HttpAnswer, body: unknown): ProviderUsage {
  const fromBody =
    isRecord(body) && isRecord(body.meta) && isRecord(body.meta.usage)
      ? numberOf(body.meta.usage.credits_used)
      : null;
  return {
    credits: numberOf(header(answer, 'x-aimlapi-credits-used')) ?? fromBody,
    usd: numberOf(header(answer, 'x-aimlapi-usd-spent')),
  };
}

function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberOf(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : null;
}
