import type { GenerationParams, JobRecord } from '@imagen-queue/contract';
import { ProviderError } from '@imagen-queue/imagen';
import type { Storage } from '@imagen-queue/shared';
import type { JobStore } from '@imagen-queue/store';

/**
 * A job's parameters with every `{job, index}` reference turned into a presigned URL of the
 * tenant's own stored image. Done at call time, not at submit: a presigned URL expires, and a
 * queued job may wait longer than its lifetime.
 */
export async function withReferenceUrls(
  job: JobRecord,
  store: JobStore,
  storage: Storage,
): Promise<GenerationParams> {
  const refs = job.request.image_urls;
  if (!refs?.some((ref) => typeof ref !== 'string')) return job.request;
  const urls = await Promise.all(
    refs.map(async (ref, position) => {
      if (typeof ref === 'string') return ref;
      // Looked up under the job's own tenant: another tenant's id finds nothing.
      const source = await store.get(job.tenant, ref.job);
      const image = source?.result?.images[ref.index];
      if (!image) {
        throw new ProviderError(
          'invalid_request',
          `image_urls/${position}: image ${ref.index} of ${ref.job} is no longer stored`,
          { retryable: false },
        );
      }
      return storage.presignGet(image.key);
    }),
  );
  return { ...job.request, image_urls: urls };
}
