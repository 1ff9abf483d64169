import type { ImagenClient } from '@imagen-queue/imagen';
import {
  type GenerateImagesPayload,
  imageKey,
  type JobError,
  type JobStore,
  type Logger,
  type Storage,
  type StoredImage,
  TERMINAL_STATUSES,
} from '@imagen-queue/shared';
import { describeFailure } from '../failures.ts';

export interface ProcessorContext {
  log: Logger;
  store: JobStore;
  storage: Storage;
  imagen: ImagenClient;
  /** Aborted when the job is canceled or the worker is forced to stop. */
  signal: AbortSignal;
  /** Whether BullMQ will try again if this attempt throws. */
  finalAttempt: boolean;
}

/** Thrown when the job failed for good; the BullMQ adapter maps it to `UnrecoverableError`. */
export class PermanentFailure extends Error {
  readonly failure: JobError;
  constructor(failure: JobError) {
    super(failure.message);
    this.name = 'PermanentFailure';
    this.failure = failure;
  }
}

/**
 * One generation job: call the provider, store every image at its contract key, record the
 * result. The job record decides what happens: a job already finished or canceled is left alone,
 * so a duplicate delivery of the same BullMQ job does no paid work.
 */
export async function generateImages(
  payload: GenerateImagesPayload,
  ctx: ProcessorContext,
): Promise<void> {
  const { tenant, jobId } = payload;
  const job = await ctx.store.get(tenant, jobId);
  if (!job || TERMINAL_STATUSES.includes(job.status)) {
    ctx.log.info({ status: job?.status ?? 'missing' }, 'job not runnable; skipping');
    return;
  }
  const started = await ctx.store.transition(tenant, jobId, {
    from: ['queued', 'running'],
    to: 'running',
    startedAt: job.startedAt ?? new Date().toISOString(),
    countAttempt: true,
  });
  if (!started) return;

  try {
    const generated = await ctx.imagen.generate(job.request, { signal: ctx.signal });
    const images: StoredImage[] = [];
    for (const [index, image] of generated.images.entries()) {
      const key = imageKey(tenant, job.batchId, jobId, index);
      const stored = await ctx.storage.putImage({
        key,
        bytes: image.bytes,
        contentType: image.mimeType,
        metadata: {
          job: jobId,
          tenant,
          model: job.request.model,
          seed: String(job.request.seed ?? ''),
        },
        signal: ctx.signal,
      });
      images.push({
        key,
        mime_type: image.mimeType,
        width: image.width,
        height: image.height,
        ...stored,
      });
    }
    await ctx.store.transition(tenant, jobId, {
      from: ['running'],
      to: 'succeeded',
      result: { images, enhanced_prompt: generated.enhancedPrompt, filtered: generated.filtered },
      error: null,
    });
    ctx.log.info({ images: images.length, filtered: generated.filtered }, 'job succeeded');
  } catch (error) {
    const failure = describeFailure(error);
    if (failure.retryable && !ctx.finalAttempt) {
      await ctx.store.transition(tenant, jobId, {
        from: ['running'],
        to: 'queued',
        error: failure,
      });
      ctx.log.warn({ err: error, code: failure.code }, 'attempt failed; will retry');
      throw error;
    }
    await ctx.store.transition(tenant, jobId, { from: ['running'], to: 'failed', error: failure });
    ctx.log.warn({ err: error, code: failure.code }, 'job failed');
    throw new PermanentFailure(failure);
  }
}
