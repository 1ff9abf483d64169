import type { ImagenClient } from '@imagen-queue/imagen';
import type { Storage, Tracing } from '@imagen-queue/shared';
import type { ProviderLimiter } from '@imagen-queue/store';

/**
 * The clients a generation attempt uses, each call a span. The provider's HTTP request itself
 * is undici's span beneath; these add what HTTP cannot say (model, outcome, cost). Attributes
 * carry sizes and ids, never a prompt, a key or a presigned URL.
 */
export function tracedImagen(imagen: ImagenClient, tracing: Tracing): ImagenClient {
  if (!tracing.enabled) return imagen;
  return {
    close: () => imagen.close(),
    generate: (params, options) =>
      tracing.span(
        'provider.generate',
        {
          'gen_ai.operation.name': 'generate_image',
          'gen_ai.request.model': params.model,
          'imagen_queue.prompt_length': params.prompt?.length,
        },
        async (annotate) => {
          const started = performance.now();
          try {
            const result = await imagen.generate(params, options);
            annotate({
              'imagen_queue.provider.status': 'ok',
              'imagen_queue.provider.latency_ms': Math.round(performance.now() - started),
              'imagen_queue.images': result.images.length,
              'imagen_queue.images_filtered': result.filtered,
              // As the provider reported it; absent when it reported nothing.
              'imagen_queue.cost_usd': result.usage?.usd ?? undefined,
              'imagen_queue.credits': result.usage?.credits ?? undefined,
            });
            return result;
          } catch (error) {
            annotate({
              'imagen_queue.provider.status': (error as { code?: string }).code ?? 'error',
              'imagen_queue.provider.latency_ms': Math.round(performance.now() - started),
            });
            throw error;
          }
        },
      ),
  };
}

/**
 * Each upload a span named as the AWS SDK's instrumentation names its own. (That
 * instrumentation patches the SDK's modules as they load, which our ESM processes, loading
 * the SDK before the configuration is read, cannot offer it.)
 */
export function tracedStorage(storage: Storage, tracing: Tracing): Storage {
  if (!tracing.enabled) return storage;
  return {
    ...storage,
    presignGet: (key) => storage.presignGet(key),
    ensureBucket: () => storage.ensureBucket(),
    ping: () => storage.ping(),
    close: () => storage.close(),
    putImage: (input) =>
      tracing.span(
        'S3.PutObject',
        {
          'rpc.system': 'aws-api',
          'rpc.service': 'S3',
          'rpc.method': 'PutObject',
          'aws.s3.bucket': storage.bucket,
          'aws.s3.key': input.key,
          'imagen_queue.bytes': input.bytes.byteLength,
        },
        () => storage.putImage(input),
      ),
  };
}

/** The wait for a slot of the shared provider limiter, a span of its own. */
export function tracedLimiter(limiter: ProviderLimiter, tracing: Tracing): ProviderLimiter {
  if (!tracing.enabled) return limiter;
  return {
    currentRate: (model) => limiter.currentRate(model),
    paces: () => limiter.paces(),
    acquire: (signal, options) =>
      tracing.span('limiter.wait', {}, () => limiter.acquire(signal, options)),
  };
}
