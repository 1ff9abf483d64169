import { setTimeout as sleep } from 'node:timers/promises';
import { imageKey, type StoredImage } from '@imagen-queue/contract';
import type { GenerationResult } from '@imagen-queue/imagen';
import type { Logger, Metrics, Storage } from '@imagen-queue/shared';
import type { CallGate } from './call-gate.ts';

export interface UploadTarget {
  tenant: string;
  batchId: string | null;
  jobId: string;
  model: string;
  seed: number | undefined;
}

/**
 * Stores every image at its contract key. A failed PUT is retried within the attempt (S3 blips
 * are common and the images are already paid for); writing the same key again replaces the
 * object, so a retried upload never leaves two copies.
 */
export async function uploadImages(
  storage: Storage,
  target: UploadTarget,
  generated: GenerationResult,
  options: {
    signal: AbortSignal;
    log: Logger;
    retries?: number;
    baseDelayMs?: number;
    metrics?: Metrics;
    /** Told whether each PUT worked: failing uploads hold new provider calls back. */
    gate?: Pick<CallGate, 'uploadFailed' | 'uploadSucceeded'>;
  },
): Promise<StoredImage[]> {
  const { retries = 5, baseDelayMs = 500 } = options;
  const stored: StoredImage[] = [];
  for (const [index, image] of generated.images.entries()) {
    const key = imageKey(target.tenant, target.batchId, target.jobId, index);
    for (let attempt = 0; ; attempt++) {
      try {
        const { sha256, bytes } = await storage.putImage({
          key,
          bytes: image.bytes,
          contentType: image.mimeType,
          metadata: {
            job: target.jobId,
            tenant: target.tenant,
            model: target.model,
            seed: String(target.seed ?? ''),
          },
          signal: options.signal,
        });
        stored.push({
          key,
          mime_type: image.mimeType,
          width: image.width,
          height: image.height,
          bytes,
          sha256,
        });
        options.gate?.uploadSucceeded();
        options.metrics?.imagesStored.inc({ model: target.model });
        options.metrics?.bytesStored.inc({ model: target.model }, bytes);
        break;
      } catch (error) {
        if (!options.signal.aborted) options.gate?.uploadFailed();
        if (options.signal.aborted || attempt >= retries) throw new StorageError(error);
        const delay = baseDelayMs * 2 ** attempt;
        options.log.warn({ err: error, key, attempt, delayMs: delay }, 'upload failed; retrying');
        await sleep(delay, undefined, { signal: options.signal });
      }
    }
  }
  return stored;
}

/** The images could not be stored; they are spooled and the attempt is retried. */
export class StorageError extends Error {
  constructor(cause: unknown) {
    super(`storing the images failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'StorageError';
  }
}
