import { providerError } from './error-table.ts';
import { ProviderError } from './errors.ts';

/**
 * One attempt's signal: aborted by the per-attempt timeout or by the caller's signal, and able
 * to tell afterwards which of the two it was (`timeout` is retryable, `canceled` is not).
 */
export interface AttemptSignal {
  signal: AbortSignal;
  /** Turn whatever the attempt threw into a `ProviderError`. */
  explain(error: unknown): unknown;
  dispose(): void;
}

export function startAttemptSignal(
  timeoutMs: number,
  outer: AbortSignal | undefined,
): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });

  return {
    signal: controller.signal,
    explain(error) {
      if (outer?.aborted) {
        return providerError('canceled', { message: 'the generation was canceled', cause: error });
      }
      if (timedOut) {
        return providerError('timeout', {
          message: `the provider did not answer within ${timeoutMs} ms`,
          cause: error,
        });
      }
      if (error instanceof ProviderError) return error;
      const code = systemCode(error);
      if (code?.endsWith('TIMEOUT')) {
        return providerError('timeout', {
          message: `the provider timed out (${code})`,
          cause: error,
        });
      }
      if (code)
        return providerError('network', { message: `network error (${code})`, cause: error });
      return error; // a bug of ours, not the provider's: let it surface as it is
    },
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}

/** `ECONNRESET`, `UND_ERR_SOCKET`, … from Node or undici, also when wrapped in `cause`. */
function systemCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return undefined;
}
