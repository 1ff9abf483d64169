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

/**
 * `X-Client-Request-Id: <job id>.<call>`: `call` is the job's provider-call number, 1 for its first
 * call and one more for each later one, whatever ended the one before (an error, a 429, a worker
 * that stopped), so no two calls of a job share an id. The header takes 1–128 characters of
 * `[A-Za-z0-9._:-]`: the job id is kept as it is (`job_…` is valid), any other character becomes
 * `-`, and a long id is cut before the suffix, never the suffix itself.
 */
export function clientRequestId(jobId: string, call: number): string {
  const suffix = `.${call}`;
  return `${jobId.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 128 - suffix.length)}${suffix}`;
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
