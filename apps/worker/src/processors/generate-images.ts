import {
  type GenerateImagesPayload,
  type JobError,
  type JobRecord,
  type JobStatus,
  TERMINAL_STATUSES,
} from '@imagen-queue/contract';
import { type GenerationResult, type ImagenClient, ProviderError } from '@imagen-queue/imagen';
import { childWithIds, type Logger, type Metrics, type Storage } from '@imagen-queue/shared';
import type {
  ImageCacheStore,
  JobStore,
  ProviderLimiter,
  Spool,
  TransitionEvent,
  TransitionOutcome,
  UsageStore,
} from '@imagen-queue/store';
import type { CallGate } from '../call-gate.ts';
import { deadlineRefusal } from '../control/before-start.ts';
import {
  BudgetExceeded,
  type Budgets,
  lookUpAverage,
  reserveBudget,
  settleBudget,
} from '../control/budget.ts';
import { cacheEntryFor, lookUpCache, serveFromCache } from '../control/cache.ts';
import { callProvider, numberCall } from '../control/provider-call.ts';
import { describeFailure } from '../failures.ts';
import { withReferenceUrls } from '../reference-images.ts';
import { uploadImages } from '../upload.ts';

export interface ProcessorContext {
  log: Logger;
  store: JobStore;
  storage: Storage;
  imagen: ImagenClient;
  limiter: Pick<ProviderLimiter, 'acquire' | 'currentRate'>;
  spool: Spool;
  /** Aborted when the job is canceled or the worker is forced to stop. */
  signal: AbortSignal;
  /** Whether BullMQ will try again if this attempt throws a retryable error. */
  finalAttempt: boolean;
  /** Upload retries within one attempt. @defaultValue 4 retries from 500 ms, doubling */
  uploadRetry?: { retries: number; baseDelayMs: number };
  /** Prometheus counters; optional so a fake ctx needs none. */
  metrics?: Metrics;
  /** Where each provider call's reported cost is added up; absent = not recorded. */
  usage?: UsageStore;
  /** Earlier identical jobs' images, for deterministic models; absent = never served from it. */
  imageCache?: ImageCacheStore;
  /** Batch and tenant spend caps, reserved before each call; absent = no caps. */
  budgets?: Budgets;
  /** Holds new provider calls back while uploads fail or memory is full; absent: never. */
  gate?: CallGate;
  /** Told each provider call's latency and image bytes (the adaptive concurrency's inputs). */
  observeCall?: (latencyMs: number, bytes: number) => void;
  /** Called once a terminal transition has been applied, with its outcome: webhooks hang here. */
  onFinished?: (job: JobRecord, outcome: TransitionOutcome) => Promise<void>;
  /** The webhook event a success owes, recorded by the success transition itself. */
  finishEvent?: (job: JobRecord, status: JobStatus) => TransitionEvent | undefined;
  /**
   * Called for a job found already terminal: a rerun after a crash between the transition and
   * `onFinished` re-sends its events (deterministic ids make a repeat a no-op).
   */
  onFoundFinished?: (job: JobRecord) => Promise<void>;
}

/** The job failed for good; the BullMQ adapter turns it into `UnrecoverableError`. */
export class PermanentFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

/** The reason a worker's own shutdown aborts its jobs with, past the grace period. */
export const SHUTDOWN_REASON = 'shutdown';

/**
 * The worker stopped before the attempt ended: the job goes back to the queue, the attempt
 * uncounted, for another worker (or this one, restarted). Nobody canceled it: it must run.
 */
export class Interrupted extends Error {
  constructor() {
    super('the worker stopped during the attempt');
    this.name = 'Interrupted';
  }
}

/** The provider is over its quota; the attempt does not count (BullMQ `RateLimitError`). */
export class RateLimited extends Error {
  readonly retryAfterMs: number | null;
  constructor(retryAfterMs: number | null) {
    super('the provider answered 429');
    this.name = 'RateLimited';
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * One generation job: provider call (through the shared limiter), every image stored at its
 * contract key, result recorded. The job record decides whether to run: a finished or canceled
 * job is left alone, so a duplicate delivery of the same BullMQ job pays for nothing.
 */
export async function generateImages(
  payload: GenerateImagesPayload,
  jobCtx: ProcessorContext,
): Promise<void> {
  const { tenant, jobId } = payload;
  const job = await jobCtx.store.get(tenant, jobId);
  // The batch is known only from the record: every later line of this job carries it.
  const ctx = job?.batchId
    ? { ...jobCtx, log: childWithIds(jobCtx.log, { batchId: job.batchId }) }
    : jobCtx;
  if (!job || TERMINAL_STATUSES.includes(job.status)) {
    ctx.log.info({ status: job?.status ?? 'missing' }, 'job not runnable; skipping');
    if (job) await ctx.onFoundFinished?.(job);
    return;
  }
  const refusal = deadlineRefusal(job);
  if (refusal) return refuseToStart(job, refusal, ctx);
  // Reads the attempt will need, sent beside the start transition rather than after it: each
  // round trip on a job's path is a wait that a busy Redis and a busy machine make long.
  const reads: Reads = { cached: lookUpCache(job, ctx), average: lookUpAverage(job, ctx.budgets) };
  const started = await ctx.store.transition(tenant, jobId, {
    from: ['queued', 'running'],
    to: 'running',
    startedAt: job.startedAt ?? new Date().toISOString(),
    countAttempt: true,
    batchId: job.batchId,
  });
  if (!started.applied) return;

  let finished: Awaited<ReturnType<JobStore['transition']>>;
  try {
    finished = await produce(job, ctx, reads);
  } catch (error) {
    await handleFailure(job, error, ctx);
    return;
  }
  if (!finished.applied) return;
  ctx.metrics?.jobsFinished.inc({ outcome: 'succeeded', code: '' });
  // Outside the attempt's try: a failed event enqueue is a plain retryable error, and the rerun
  // finds the job succeeded and enqueues its event again (same id), instead of failing the job.
  await ctx.onFinished?.({ ...job, status: 'succeeded' }, finished);
}

/** What an attempt reads before it knows it needs it (`generateImages`). */
interface Reads {
  cached: ReturnType<typeof lookUpCache>;
  average: ReturnType<typeof lookUpAverage>;
}

/** Images from the spool or the provider, stored at their keys, the job moved to succeeded. */
async function produce(job: JobRecord, ctx: ProcessorContext, reads: Reads) {
  const { tenant, id: jobId } = job;
  // Only an earlier attempt can have left images in the spool: a counted one, or one handed
  // back uncounted (a worker's shutdown), which leaves its error on the record.
  const earlier = job.attempts > 0 || job.error !== null;
  const spooled = earlier ? await ctx.spool.load(tenant, jobId) : null;
  const cached = spooled ? null : await serveFromCache(job, ctx, reads.cached);
  if (cached) {
    return ctx.store.transition(tenant, jobId, {
      from: ['running'],
      to: 'succeeded',
      result: cached,
      error: null,
      batchId: job.batchId,
      ...withEvent(job, ctx),
    });
  }
  const fresh = spooled ? null : await generate(job, ctx, reads);
  const generated = spooled ?? fresh!.result;
  try {
    return await store(job, ctx, generated, spooled !== null);
  } finally {
    // The call's cost, written beside the upload: recorded before the job's outcome is.
    await fresh?.accounted;
  }
}

async function store(
  job: JobRecord,
  ctx: ProcessorContext,
  generated: GenerationResult,
  spooled: boolean,
) {
  const { tenant, id: jobId } = job;
  const release = ctx.gate?.hold(imageBytes(generated));
  let images: Awaited<ReturnType<typeof uploadImages>>;
  let spooledNow = false;
  try {
    for (;;) {
      try {
        images = await uploadImages(
          ctx.storage,
          { tenant, batchId: job.batchId, jobId, model: job.request.model, seed: job.request.seed },
          generated,
          {
            signal: ctx.signal,
            log: ctx.log,
            ...ctx.uploadRetry,
            ...(ctx.metrics ? { metrics: ctx.metrics } : {}),
            ...(ctx.gate ? { gate: ctx.gate } : {}),
          },
        );
        break;
      } catch (error) {
        // Paid for already: keep the bytes so a later attempt stores them without a new call
        // (also when this worker is stopping; not when the job was canceled).
        const canceled = ctx.signal.aborted && ctx.signal.reason !== SHUTDOWN_REASON;
        if (!canceled && !spooledNow) {
          await ctx.spool.save(tenant, jobId, generated);
          spooledNow = true;
        }
        // A storage outage is not the job's fault: with a gate, wait for storage (the gate
        // holds new calls back meanwhile) rather than spend the job's attempts on it.
        if (!ctx.gate || ctx.signal.aborted) throw error;
        ctx.log.warn({ err: error }, 'storage unreachable; waiting for it with the images in hand');
        await ctx.gate.storageUp(ctx.signal);
      }
    }
  } finally {
    release?.();
  }
  const result = {
    images,
    enhanced_prompt: generated.enhancedPrompt,
    filtered: generated.filtered,
  };
  // One round trip: the job's record, its batch, its webhook event and its cache entry.
  const cacheEntry = cacheEntryFor(job, result, ctx);
  const finished = await ctx.store.transition(tenant, jobId, {
    from: ['running'],
    to: 'succeeded',
    result,
    error: null,
    batchId: job.batchId,
    ...withEvent(job, ctx),
    ...(cacheEntry ? { cacheEntry } : {}),
  });
  if (spooled || spooledNow) await ctx.spool.clear(tenant, jobId);
  // Scalars bound as ids rather than given as the line's object, which pino would redact value
  // by value (the line's bytes are the same: bindings and fields both come before `msg`).
  const fields = { images: images.length, filtered: generated.filtered };
  childWithIds(ctx.log, fields).info('job succeeded');
  return finished;
}

/** The success's webhook event, for the transition to record (`ProcessorContext.finishEvent`). */
function withEvent(job: JobRecord, ctx: ProcessorContext): { event?: TransitionEvent } {
  const event = ctx.finishEvent?.(job, 'succeeded');
  return event ? { event } : {};
}

async function generate(job: JobRecord, ctx: ProcessorContext, reads: Reads) {
  // Stored references become presigned URLs now, at call time: a queued job may outlive one.
  const resolved = { ...job, request: await withReferenceUrls(job, ctx.store, ctx.storage) };
  const model = job.request.model;
  const gate = ctx.gate;
  // Numbered while the budget and the send slot are awaited: a call that is then not made
  // leaves a gap in the job's request ids, never a reuse.
  const callNumber = numberCall(job, ctx);
  const reservation = await reserveBudget(job, ctx.budgets, reads.average);
  let answered: Awaited<ReturnType<ProviderLimiter['acquire']>>;
  try {
    answered = await ctx.limiter.acquire(ctx.signal, {
      model,
      ...(gate ? { ready: () => gate.ready(ctx.signal) } : {}),
    });
  } catch (error) {
    const release = { model, images: 0, usd: 0 };
    await settleBudget(ctx.budgets, reservation, release, ctx.log);
    throw error;
  }
  const timer = ctx.metrics?.providerLatency.startTimer({ model });
  const sentAt = Date.now();
  try {
    const called = await callProvider(resolved, ctx, reservation, callNumber);
    timer?.({ outcome: 'ok' });
    ctx.observeCall?.(Date.now() - sentAt, imageBytes(called.result));
    // Off the job's path: a lost 'ok' only delays the pace's probe up by one step.
    answered('ok').catch((error) => ctx.log.warn({ err: error }, 'limiter feedback failed'));
    return called;
  } catch (error) {
    timer?.({ outcome: error instanceof ProviderError ? error.code : 'error' });
    const limited = error instanceof ProviderError && error.code === 'rate_limited';
    if (limited) ctx.metrics?.providerRateLimited.inc({ model });
    // Every answer but a 429 counted against the provider's quota, a 5xx or a timeout too.
    await answered(limited ? 'limited' : 'ok');
    throw error;
  }
}

function imageBytes(result: GenerationResult): number {
  return result.images.reduce((sum, image) => sum + image.bytes.length, 0);
}

/** Ends a job that never started (deadline, budget) as canceled, with no provider call. */
async function refuseToStart(job: JobRecord, error: JobError, ctx: ProcessorContext) {
  const ended = await ctx.store.transition(job.tenant, job.id, {
    from: ['queued'],
    to: 'canceled',
    error,
    batchId: job.batchId,
  });
  if (!ended.applied) return;
  ctx.log.info({ code: error.code }, 'job not started');
  ctx.metrics?.jobsFinished.inc({ outcome: 'canceled', code: error.code });
  await ctx.onFinished?.({ ...job, status: 'canceled', error }, ended);
}

async function handleFailure(
  job: JobRecord,
  error: unknown,
  ctx: ProcessorContext,
): Promise<never | void> {
  const { tenant, id } = job;
  const current = await ctx.store.get(tenant, id);
  if (current?.status === 'canceled') {
    ctx.log.info('job canceled while running; attempt abandoned');
    // The API enqueued the cancel event; enqueueing it again (same id) covers a failed enqueue.
    await ctx.onFoundFinished?.(current);
    return;
  }
  if (ctx.signal.aborted && ctx.signal.reason === SHUTDOWN_REASON) {
    await ctx.store.transition(tenant, id, {
      from: ['running'],
      to: 'queued',
      error: {
        code: 'interrupted',
        message: 'the worker stopped during the attempt; it runs again',
        retryable: true,
      },
      uncountAttempt: true,
      batchId: job.batchId,
    });
    ctx.log.warn('worker stopping; attempt handed back to the queue');
    throw new Interrupted();
  }
  if (error instanceof BudgetExceeded) {
    const stopped = await ctx.store.transition(tenant, id, {
      from: ['running'],
      to: 'canceled',
      error: error.toJobError(),
      batchId: job.batchId,
    });
    ctx.log.info({ cap: error.cap }, 'budget spent; job not started');
    if (!stopped.applied) return;
    ctx.metrics?.jobsFinished.inc({ outcome: 'canceled', code: 'budget_exceeded' });
    const ended = { ...job, status: 'canceled' as const, error: error.toJobError() };
    await ctx.onFinished?.(ended, stopped);
    return;
  }
  const failure = describeFailure(error);
  if (error instanceof ProviderError && error.code === 'rate_limited') {
    await ctx.store.transition(tenant, id, {
      from: ['running'],
      to: 'queued',
      error: failure,
      uncountAttempt: true,
      batchId: job.batchId,
    });
    throw new RateLimited(error.retryAfterMs);
  }
  if (failure.retryable && !ctx.finalAttempt) {
    await ctx.store.transition(tenant, id, {
      from: ['running'],
      to: 'queued',
      error: failure,
      batchId: job.batchId,
    });
    ctx.log.warn({ err: error, code: failure.code }, 'attempt failed; will retry');
    throw error;
  }
  const failed = await ctx.store.transition(tenant, id, {
    from: ['running'],
    to: 'failed',
    error: failure,
    batchId: job.batchId,
  });
  ctx.log.warn({ err: error, code: failure.code }, 'job failed');
  if (failed.applied) ctx.metrics?.jobsFinished.inc({ outcome: 'failed', code: failure.code });
  if (failed.applied) await ctx.onFinished?.({ ...job, status: 'failed' }, failed);
  throw new PermanentFailure(failure.message);
}
