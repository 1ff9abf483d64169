import { ProviderError, type ProviderErrorCode } from './errors.ts';

/** A failure that did not come with an HTTP status of its own. */
export type FailureKind =
  | 'refused'
  | 'all_filtered'
  | 'timeout'
  | 'network'
  | 'canceled'
  | 'invalid_response'
  | 'too_large'
  | 'model_gone';

export interface ErrorRule {
  /** An HTTP status, an inclusive status range, or a failure without a status. */
  when: number | readonly [number, number] | FailureKind;
  code: ProviderErrorCode;
  retryable: boolean;
  why: string;
}

/**
 * Every way an attempt can fail, in one place. The first matching row wins, so exact statuses
 * come before the ranges that contain them.
 */
export const ERROR_TABLE: readonly ErrorRule[] = [
  { when: 400, code: 'invalid_request', retryable: false, why: 'the same body fails again' },
  {
    when: 401,
    code: 'provider_auth',
    retryable: false,
    why: 'the key is wrong: an operator must fix it',
  },
  { when: 402, code: 'provider_quota', retryable: false, why: 'out of credit until someone pays' },
  { when: 403, code: 'provider_auth', retryable: false, why: 'the key may not use this model' },
  { when: 404, code: 'invalid_request', retryable: false, why: 'unknown model or endpoint' },
  { when: 408, code: 'timeout', retryable: true, why: 'the provider gave up waiting; try again' },
  { when: 422, code: 'invalid_request', retryable: false, why: 'the same body fails again' },
  { when: 429, code: 'rate_limited', retryable: true, why: 'slow down, honouring Retry-After' },
  { when: [400, 499], code: 'invalid_request', retryable: false, why: 'any other client error' },
  {
    when: [500, 599],
    code: 'provider_unavailable',
    retryable: true,
    why: 'the provider is failing',
  },
  { when: 'refused', code: 'content_filtered', retryable: false, why: 'the prompt was refused' },
  {
    when: 'all_filtered',
    code: 'content_filtered',
    retryable: false,
    why: 'every image was filtered',
  },
  { when: 'timeout', code: 'timeout', retryable: true, why: 'the attempt ran out of time' },
  { when: 'network', code: 'network', retryable: true, why: 'reset, refused or DNS failure' },
  { when: 'canceled', code: 'canceled', retryable: false, why: 'the caller aborted' },
  { when: 'invalid_response', code: 'invalid_response', retryable: true, why: 'garbled answer' },
  {
    when: 'model_gone',
    code: 'model_unavailable',
    retryable: false,
    why: 'the model is retired: only its successor can serve the job',
  },
  { when: 'too_large', code: 'invalid_response', retryable: false, why: 'over the size cap' },
];

/** Statuses no row names (1xx, 3xx, odd 2xx): the answer is not one we understand. */
const UNKNOWN_STATUS: ErrorRule = {
  when: 'invalid_response',
  code: 'invalid_response',
  retryable: true,
  why: 'an unexpected status',
};

export function ruleFor(when: number | FailureKind): ErrorRule {
  const rule = ERROR_TABLE.find((row) => {
    if (typeof row.when === 'string' || typeof when === 'string') return row.when === when;
    if (typeof row.when === 'number') return row.when === when;
    return when >= row.when[0] && when <= row.when[1];
  });
  return rule ?? UNKNOWN_STATUS;
}

export interface ErrorDetails {
  message: string;
  status?: number | null;
  retryAfterMs?: number | null;
  cause?: unknown;
}

/** The `ProviderError` for an HTTP status or a status-less failure, per the table. */
export function providerError(when: number | FailureKind, details: ErrorDetails): ProviderError {
  const rule = ruleFor(when);
  return new ProviderError(rule.code, details.message, {
    retryable: rule.retryable,
    retryAfterMs: details.retryAfterMs ?? null,
    status: details.status ?? (typeof when === 'number' ? when : null),
    cause: details.cause,
  });
}
