import type { GenerationParams } from '@imagen-queue/contract';
import { webhookUrlProblem } from '@imagen-queue/shared';
import type { JobStore } from '@imagen-queue/store';
import { badRequest } from './problem-error.ts';

export interface ReferenceCheck {
  tenant: string;
  jobStore: JobStore;
  allowPrivateNetworks: boolean;
}

/**
 * `image_urls` are fetched by the provider (and by the worker, for Google): a URL must pass the
 * same rules as a webhook target, and a `{job, index}` must be one of the tenant's own stored
 * images. Another tenant's job gets the same answer as a job that does not exist.
 */
export async function checkReferenceImages(
  params: GenerationParams,
  check: ReferenceCheck,
  path = '',
): Promise<void> {
  const refs = params.image_urls ?? [];
  for (const [position, ref] of refs.entries()) {
    const field = `${path}/image_urls/${position}`;
    if (typeof ref === 'string') {
      const problem = webhookUrlProblem(ref, check.allowPrivateNetworks);
      if (problem) throw invalid(field, problem);
      continue;
    }
    const source = await check.jobStore.get(check.tenant, ref.job);
    if (!source?.result?.images[ref.index]) {
      throw invalid(field, `is not one of your stored images (${ref.job}, index ${ref.index})`);
    }
  }
}

function invalid(path: string, message: string) {
  return badRequest(`${path} ${message}`, [{ path, message }]);
}
