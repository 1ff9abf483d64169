import type { JobError } from '@imagen-queue/contract';
import { ProviderError } from '@imagen-queue/imagen';
import { StorageError } from './upload.ts';

/** What a client is told about a failed attempt: a stable code, never a stack or a secret. */
export function describeFailure(error: unknown): JobError {
  if (error instanceof ProviderError) {
    return { code: error.code, message: error.message, retryable: error.retryable };
  }
  if (error instanceof StorageError) {
    return {
      code: 'storage_unavailable',
      message: 'storing the images failed; will retry',
      retryable: true,
    };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: 'interrupted', message: 'the attempt was interrupted', retryable: true };
  }
  return { code: 'internal_error', message: 'the worker failed unexpectedly', retryable: true };
}
