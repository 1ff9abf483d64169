import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiClient } from '../api-client.ts';
import type { Batch } from '../api-types.ts';
import { galleryItemsForJob } from '../gallery/items.ts';
import { type GalleryItem, renderGallery } from '../gallery/render.ts';
import { downloadFile, isComplete } from './fetch-file.ts';
import { type PlannedImage, planJobImages } from './plan.ts';

export interface DownloadedFile {
  file: string;
  job_id: string;
  /** `skipped`: a complete copy was already in the folder (a resumed download). */
  status: 'downloaded' | 'skipped';
}

export interface DownloadSummary {
  batch: Batch;
  out: string;
  gallery: string;
  /** `results.jsonl` beside the gallery (one line per job); null when the API offers none. */
  results: string | null;
  files: DownloadedFile[];
  /** Jobs that have no images to download (failed, canceled or not finished yet). */
  without_images: { job_id: string; index: number; status: string }[];
  /** Images that could not be downloaded this time; a rerun retries them. */
  errors: { file: string; message: string }[];
}

export interface DownloadOptions {
  /** Parallel downloads. @defaultValue 4 */
  concurrency?: number;
  onFile?: (file: DownloadedFile) => void;
}

/**
 * Puts every image of a batch into `out` as `{index}-{slug}.png` plus an `index.html`
 * gallery. Files already there with the recorded size are kept, so a rerun resumes.
 */
export async function downloadBatch(
  client: ApiClient,
  batchId: string,
  out: string,
  options: DownloadOptions = {},
): Promise<DownloadSummary> {
  const batch = await client.getBatch(batchId);
  await mkdir(out, { recursive: true });
  const planned: PlannedImage[] = [];
  const items: GalleryItem[] = [];
  const withoutImages: DownloadSummary['without_images'] = [];
  let index = 0;
  for await (const job of client.batchJobs(batchId)) {
    const files = planJobImages(job, index);
    if (files.length === 0) withoutImages.push({ job_id: job.id, index, status: job.status });
    planned.push(...files);
    items.push(...galleryItemsForJob(job, index, files));
    index += 1;
  }

  const files: DownloadedFile[] = [];
  const errors: DownloadSummary['errors'] = [];
  const queue = [...planned];
  const fetchNext = async (): Promise<void> => {
    for (let image = queue.shift(); image; image = queue.shift()) {
      const path = join(out, image.file);
      const skipped = await isComplete(path, image.bytes);
      if (!skipped) {
        try {
          await downloadFile(image.url, path, { sha256: image.sha256 });
        } catch (error) {
          errors.push({ file: image.file, message: (error as Error).message });
          continue;
        }
      }
      const done: DownloadedFile = {
        file: image.file,
        job_id: image.jobId,
        status: skipped ? 'skipped' : 'downloaded',
      };
      files.push(done);
      options.onFile?.(done);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 4, queue.length));
  await Promise.all(Array.from({ length: workers }, fetchNext));

  const gallery = join(out, 'index.html');
  await writeFile(
    gallery,
    renderGallery({ title: `Batch ${batch.id}`, summary: describeCounts(batch), items }),
  );
  const resultsPath = join(out, 'results.jsonl');
  const results = (await client.saveResults(batchId, resultsPath)) ? resultsPath : null;
  files.sort((a, b) => a.file.localeCompare(b.file, 'en', { numeric: true }));
  return { batch, out, gallery, results, files, without_images: withoutImages, errors };
}

export function describeCounts(batch: Batch): string {
  const { total, succeeded, failed, canceled, queued, running } = batch.counts;
  const parts = [`${succeeded}/${total} succeeded`];
  if (failed) parts.push(`${failed} failed`);
  if (canceled) parts.push(`${canceled} canceled`);
  if (queued + running) parts.push(`${queued + running} unfinished`);
  return `${parts.join(', ')} · ${batch.status}`;
}
