import type { Job } from '../api-types.ts';
import { slugify } from '../slug.ts';

/** One image to have on disk: where it goes and how to check a copy already there. */
export interface PlannedImage {
  jobId: string;
  /** `{index}-{slug}.png`, or `{index}-{slug}-{n}.png` when the job made several images. */
  file: string;
  url: string;
  bytes: number;
  sha256: string;
}

/**
 * The files of one job. `index` is the job's position in the batch (submission order), so
 * names match the lines of the submitted file whatever order jobs finished in.
 */
export function planJobImages(job: Job, index: number): PlannedImage[] {
  const images = job.status === 'succeeded' ? (job.result?.images ?? []) : [];
  const base = `${index}-${slugify(job.request.prompt)}`;
  return images.map((image, n) => ({
    jobId: job.id,
    file: images.length > 1 ? `${base}-${n}.png` : `${base}.png`,
    url: image.url,
    bytes: image.bytes,
    sha256: image.sha256,
  }));
}
