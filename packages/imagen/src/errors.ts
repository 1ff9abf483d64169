import type { ProviderUsage } from './provider-usage.ts';

/**
 * Why an attempt against the provider failed. The worker decides what to do from `retryable`
 * and `retryAfterMs` alone; `code` is what a client of the queue is shown.
 */
export type ProviderErrorCode =
  | 'invalid_request'
  | 'provider_auth'
  | 'provider_quota'
  | 'rate_limited'
  | 'provider_unavailable'
  | 'timeout'
  | 'network'
  | 'content_filtered'
  | 'invalid_response'
  | 'canceled'
  | 'model_unavailable';

export interface ProviderErrorOptions {
  retryable: boolean;
  /** How long the provider asked us to wait (from `Retry-After`), if it said. */
  retryAfterMs?: number | null;
  /** The provider's HTTP status, when the failure came from an answer rather than the network. */
  status?: number | null;
  cause?: unknown;
}

export class ProviderError extends Error {
  /** What the provider reported this failed call cost, when it answered at all. */
  usage: ProviderUsage | null = null;
  readonly code: ProviderErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  readonly status: number | null;

  constructor(code: ProviderErrorCode, message: string, options: ProviderErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.code = code;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.status = options.status ?? null;
  }
}
