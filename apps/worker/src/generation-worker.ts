import {
  bullPrefix,
  type GenerateImagesPayload,
  type JobName,
  QUEUES,
} from '@imagen-queue/contract';
import type { ImagenClient } from '@imagen-queue/imagen';
import {
  type Config,
  childWithIds,
  keepFinished,
  type Logger,
  type Metrics,
  noTracing,
  type Storage,
  type Tracing,
} from '@imagen-queue/shared';
import {
  coalesce,
  createBudgetStore,
  createFairShare,
  createImageCacheStore,
  createUsageStore,
  type JobStore,
  type ProviderLimiter,
  type RedisClient,
  type Spool,
  type WebhookDispatcher,
} from '@imagen-queue/store';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { CallGate } from './call-gate.ts';

import type { InFlight } from './heartbeat.ts';
import { Interrupted, PermanentFailure, RateLimited } from './processors/generate-images.ts';
import { processors } from './processors/index.ts';
import { tracedImagen, tracedLimiter, tracedStorage } from './traced-clients.ts';

export interface GenerationWorkerDeps {
  config: Config;
  /** BullMQ's (its worker blocks on a duplicate of it). */
  connection: RedisClient;
  /**
   * The stores' own commands (fair-share clock, usage, image cache, budgets): a connection
   * that auto-pipelines, which BullMQ's must not. @defaultValue `connection`
   */
  commands?: RedisClient;
  logger: Logger;
  store: JobStore;
  storage: Storage;
  imagen: ImagenClient;
  limiter: ProviderLimiter;
  spool: Spool;
  /** Counters the processor increments; absent in tests that don't scrape. */
  metrics?: Metrics;
  /** Holds new provider calls back while uploads fail or memory is full. */
  gate?: CallGate;
  /** Told each provider call's latency and bytes (the adaptive concurrency). */
  observeCall?: (latencyMs: number, bytes: number) => void;
  /** The jobs running in this process, for the heartbeat. */
  inFlight?: InFlight;
  /** Where terminal transitions become webhook events; absent = no webhooks. */
  webhooks?: Pick<WebhookDispatcher, 'jobFinished' | 'jobFoundFinished' | 'eventFor'>;
  /** OpenTelemetry, when configured. @defaultValue noTracing */
  tracing?: Tracing;
  /**
   * Where a success's event delivery (its first attempt, or its enqueue) runs once the job is
   * done with it (awaited by the worker's release); absent = the job awaits it.
   */
  background?: Background;
}

/** Work a job leaves behind when it finishes; `settled` waits for all of it. */
export interface Background {
  run(work: Promise<void>): void;
  settled(): Promise<void>;
}

export function createBackground(): Background {
  const running = new Set<Promise<void>>();
  return {
    run(work) {
      const tracked = work.finally(() => running.delete(tracked));
      running.add(tracked);
    },
    async settled() {
      while (running.size > 0) await Promise.allSettled(running);
    },
  };
}

/** Full jitter: a random delay up to base × 2^attempt, capped, so retries of a batch spread out. */
export function fullJitterBackoff(attemptsMade: number, baseMs: number, maxMs: number): number {
  return Math.floor(Math.random() * Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1)));
}

/**
 * The BullMQ side of the generation queue: runs the processor of each job name and translates
 * its outcomes into BullMQ's terms (permanent failure → `UnrecoverableError`; 429 → the queue
 * is paused for Retry-After and the job goes back without using an attempt).
 */
export type GenerationWorker = Worker<GenerateImagesPayload, void, JobName>;

export function createGenerationWorker(deps: GenerationWorkerDeps): GenerationWorker {
  const { config, logger, webhooks } = deps;
  const tracing = deps.tracing ?? noTracing;
  const imagen = tracedImagen(deps.imagen, tracing);
  const storage = tracedStorage(deps.storage, tracing);
  const limiter = tracedLimiter(deps.limiter, tracing);
  const commands = deps.commands ?? deps.connection;
  const fairShare = createFairShare(commands, { prefix: config.redis.prefix });
  // The clock only moves forward, so the positions of jobs started while one move is on its way
  // go together as their highest in the next: one round trip for many starts.
  const moveClock = coalesce(
    (a: number, b: number) => Math.max(a, b),
    (priority) => fairShare.started(priority),
  );
  const usage = createUsageStore(commands, { prefix: config.redis.prefix });
  // Entries live as long as finished jobs' records; with image retention, that is the bound.
  const imageCache = createImageCacheStore(commands, {
    prefix: config.redis.prefix,
    ttlSeconds: config.worker.retentionSeconds,
    imageRetentionDays: config.s3.imageRetentionDays,
  });
  const budgets = {
    store: createBudgetStore(commands, { prefix: config.redis.prefix }),
    uncappedBatches: new Set<string>(),
    ...config.budgets,
  };
  const worker: GenerationWorker = new Worker<GenerateImagesPayload, void, JobName>(
    QUEUES.generation,
    async (job: Job<GenerateImagesPayload, void, JobName>, token, signal) => {
      // Inside BullMQ's `process` span (bullmq-otel), which continues the job's own trace.
      tracing.tagTrace(job.data.jobId, null);
      if (job.attemptsMade === 0) tracing.pastSpan('queue.wait', job.timestamp, {});
      const log = childWithIds(logger, {
        jobId: job.data.jobId,
        tenant: job.data.tenant,
        requestId: job.data.requestId,
        ...tracing.logIds(),
      });
      deps.inFlight?.add({
        job_id: job.data.jobId,
        tenant: job.data.tenant,
        request_id: job.data.requestId ?? null,
        attempt: job.attemptsMade + 1,
      });
      // Moves the fair-share clock: jobs queued from now on start no earlier than this one.
      // Best effort and off the job's path: a late move only orders later jobs a little less fairly.
      if (job.opts.priority) {
        void moveClock(job.opts.priority).catch((error) =>
          log.warn({ err: error }, 'could not move the fair-share clock'),
        );
      }
      try {
        await processors[job.name](job.data, {
          log,
          store: deps.store,
          storage,
          imagen,
          limiter,
          spool: deps.spool,
          usage,
          imageCache,
          budgets,
          ...(deps.metrics ? { metrics: deps.metrics } : {}),
          ...(deps.gate ? { gate: deps.gate } : {}),
          ...(deps.observeCall ? { observeCall: deps.observeCall } : {}),
          signal: signal ?? new AbortController().signal,
          finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
          ...(webhooks
            ? {
                onFinished: async (record, outcome) => {
                  const { event } = outcome;
                  const enqueued = webhooks.jobFinished(record, outcome);
                  // With the event recorded by the transition, only its delivery is left (its
                  // first attempt from here, the queue for retries), and the transition's outbox
                  // entry stays until that is done: the job need not wait for it (a failure is
                  // logged; the outbox drain enqueues the event once the entry comes due).
                  if (event && event !== 'caller' && deps.background) {
                    deps.background.run(
                      enqueued.catch((error) =>
                        log.warn(
                          { err: error },
                          'could not deliver or enqueue the webhook event; the outbox will',
                        ),
                      ),
                    );
                  } else {
                    await enqueued;
                  }
                },
                finishEvent: (record, status) => webhooks.eventFor(record, status),
                onFoundFinished: (record) => webhooks.jobFoundFinished(record.tenant, record.id),
              }
            : {}),
        });
      } catch (error) {
        if (error instanceof PermanentFailure) throw new UnrecoverableError(error.message);
        if (error instanceof Interrupted && token) {
          // Back in the queue now, no BullMQ attempt used: the job was stopped, not failed.
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
        if (error instanceof RateLimited) {
          if (error.retryAfterMs) await worker.rateLimit(error.retryAfterMs);
          else await worker.rateLimit(1_000);
          throw Worker.RateLimitError();
        }
        throw error;
      } finally {
        deps.inFlight?.delete(job.data.jobId);
      }
    },
    {
      connection: deps.connection,
      prefix: bullPrefix(config.redis.prefix),
      concurrency: config.worker.concurrency,
      // A lock shorter than the longest provider call would let a second worker start the job.
      lockDuration: Math.max(10_000, 2 * config.imagen.timeoutMs),
      // How soon a job whose worker died is noticed and handed to another.
      stalledInterval: Math.min(30_000, Math.max(10_000, 2 * config.imagen.timeoutMs)),
      // A worker killed mid-job leaves it stalled; it goes back to the queue this many times.
      maxStalledCount: 5,
      // BullMQ keeps only the last finished entries: the job's record is what the API reads.
      ...keepFinished(3600, config.worker.retentionSeconds),
      autorun: false,
      ...(tracing.bullmq ? { telemetry: tracing.bullmq } : {}),
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          fullJitterBackoff(attemptsMade, config.worker.retryBaseMs, config.worker.retryMaxMs),
      },
    },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  return worker;
}
