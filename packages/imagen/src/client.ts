import { getModel, isRetired } from '@imagen-queue/contract';
import { createGuardedLookup } from '@imagen-queue/shared';
import { aimlapiAdapter } from './adapters/aimlapi.ts';
import { googleAdapter } from './adapters/google.ts';
import { runAttempt } from './attempt.ts';
import { startAttemptSignal } from './attempt-signal.ts';
import { providerError } from './error-table.ts';
import { ProviderError } from './errors.ts';
import { createHttpTransport } from './http.ts';
import type { ImagenClient, ImagenClientOptions } from './types.ts';

const ADAPTERS = { aimlapi: aimlapiAdapter, google: googleAdapter };

/** The provider client: one keep-alive pool, one adapter per `provider`, typed errors. */
export function createImagenClient(options: ImagenClientOptions): ImagenClient {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const adapter = ADAPTERS[options.provider];
  const http = createHttpTransport({ connections: options.connections });
  const references = options.referenceImages ?? {};
  const allowPrivateNetworks = references.allowPrivateNetworks ?? false;
  // Tenants' reference URLs connect only to addresses the SSRF guard accepted.
  const guardedHttp = createHttpTransport({
    lookup: allowPrivateNetworks ? undefined : createGuardedLookup(references.resolver),
  });
  const ctx = {
    http,
    adapter,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    apiKey: options.apiKey,
    maxImageBytes: options.maxImageBytes ?? 20 * 1024 * 1024,
    references: {
      http: guardedHttp,
      allowPrivateNetworks,
      trustedOrigins: new Set(references.trustedOrigins ?? []),
      maxBytes: references.maxBytes ?? 7_000_000,
    },
  };
  const log = options.logger?.child({ component: 'imagen', provider: adapter.name });

  return {
    async generate(params, { signal, requestId } = {}) {
      const spec = getModel(params.model);
      if (spec && isRetired(spec)) {
        // Past its announced shutdown: a call would only buy the provider's 404.
        const instead = spec.successor ? `; use ${spec.successor}` : '';
        throw providerError('model_gone', {
          message: `${spec.id} was shut down on ${spec.shutdown_at}${instead}`,
        });
      }
      const attempt = startAttemptSignal(timeoutMs, signal);
      const started = performance.now();
      const fields = { model: params.model, requested: params.num_images };
      try {
        const result = await runAttempt(ctx, params, attempt.signal, requestId);
        const ms = Math.round(performance.now() - started);
        log?.debug(
          { ...fields, images: result.images.length, filtered: result.filtered, ms },
          'provider answered',
        );
        return result;
      } catch (error) {
        const explained = attempt.explain(error);
        if (explained instanceof ProviderError) {
          const { code, status, retryable, retryAfterMs } = explained;
          log?.debug(
            { ...fields, code, status, retryable, retryAfterMs },
            'provider attempt failed',
          );
        }
        throw explained;
      } finally {
        attempt.dispose();
      }
    },
    close: async () => {
      await Promise.all([http.close(), guardedHttp.close()]);
    },
  };
}
