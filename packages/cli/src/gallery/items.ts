import type { Job } from '../api-types.ts';
import type { PlannedImage } from '../download/plan.ts';
import type { GalleryItem } from './render.ts';

/** The cards for one job: one per downloaded image, or one saying why there is none. */
export function galleryItemsForJob(job: Job, index: number, files: PlannedImage[]): GalleryItem[] {
  const shared = {
    index,
    jobId: job.id,
    status: job.status,
    prompt: job.request.prompt,
    enhancedPrompt: job.result?.enhanced_prompt ?? null,
    seed: job.request.seed,
    model: job.request.model,
    aspectRatio: job.request.aspect_ratio,
  };
  if (files.length === 0) {
    const why = job.error ? `${job.status}: ${job.error.message}` : job.status;
    return [{ ...shared, error: why }];
  }
  const images = job.result?.images ?? [];
  return files.map((planned, n) => ({
    ...shared,
    file: planned.file,
    width: images[n]?.width,
    height: images[n]?.height,
  }));
}
