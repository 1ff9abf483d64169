import { ProviderError } from '@imagen-queue/imagen';
import type { JobError } from '@imagen-queue/shared';

/** What a client is told about a failed attempt: a stable code, never a stack or a secret. */
export function describeFailure(error: unknown): JobError {
  if (error instanceof ProviderError) {
    return { code: error.code, message: error.message, retryable: error.retryable };
  }
  const name = (error as Error)?.name ?? '';
  if (name === 'AbortError') {
    return { code: 'canceled', message: 'the attempt was aborted', retryable: false };
  }
  // Storage and network faults are worth another attempt.
  return { code: 'storage_error', message: 'storing the images failed', retryable: true };
}
