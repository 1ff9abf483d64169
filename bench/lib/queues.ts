import { QUEUE_STREAMS, QUEUES, redisKeys } from '@imagen-queue/contract';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { sleep } from './stats.ts';

/** The bench's own handle on a prefix's generation queue (ours and baselines use the same name). */
export function benchQueue(redisUrl: string, prefix: string): Queue {
  const url = new URL(redisUrl);
  return new Queue(QUEUES.generation, {
    // Options rather than a client: BullMQ closes a connection it made itself.
    connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null },
    prefix: `{${prefix}}`,
    streams: QUEUE_STREAMS,
  });
}

export interface Progress {
  done: number;
  failed: number;
}

/** Finished and failed jobs of a BullMQ queue that keeps its finished entries (a baseline's). */
export async function queueProgress(queue: Queue): Promise<Progress> {
  const counts = await queue.getJobCounts('completed', 'failed');
  return { done: (counts.completed ?? 0) + (counts.failed ?? 0), failed: counts.failed ?? 0 };
}

/**
 * Finished and failed jobs of our batches, from their records' counts: our queues keep only the
 * last 100 completed BullMQ entries, so BullMQ's counts say nothing about a larger run.
 */
export async function batchProgress(
  redis: Redis,
  prefix: string,
  tenant: string,
  batchIds: string[],
): Promise<Progress> {
  const keys = redisKeys(prefix);
  const pipeline = redis.pipeline();
  for (const id of batchIds)
    pipeline.hmget(keys.batch(tenant, id), 'succeeded', 'failed', 'canceled');
  const progress = { done: 0, failed: 0 };
  for (const [, fields] of (await pipeline.exec()) ?? []) {
    const [succeeded, failed, canceled] = (fields as (string | null)[]).map(Number);
    progress.done += (succeeded || 0) + (failed || 0) + (canceled || 0);
    progress.failed += failed || 0;
  }
  return progress;
}

/**
 * With `total` jobs waiting in a paused queue: resumes it and times the completions between
 * 10 % and 90 % of them, so worker start-up and the tail do not count. Pauses it again and
 * clears the finished jobs afterwards. Returns jobs per second.
 */
export async function drainRate(
  queue: Queue,
  total: number,
  timeoutMs: number,
  progress: () => Promise<Progress> = () => queueProgress(queue),
): Promise<number> {
  const low = Math.ceil(total * 0.1);
  const high = Math.floor(total * 0.9);
  const deadline = Date.now() + timeoutMs;
  let lowAt: number | null = null;
  let highAt: number | null = null;
  await queue.resume();
  for (;;) {
    const { done, failed } = await progress();
    const now = performance.now();
    if (lowAt === null && done >= low) lowAt = now;
    if (highAt === null && done >= high) highAt = now;
    if (done >= total) {
      if (failed > 0) throw new Error(`${failed} of ${total} jobs failed`);
      break;
    }
    if (Date.now() > deadline)
      throw new Error(`only ${done} of ${total} jobs done in ${timeoutMs} ms`);
    await sleep(20);
  }
  await queue.pause();
  await queue.clean(0, 1_000_000, 'completed');
  return (high - low) / (((highAt ?? 0) - (lowAt ?? 0)) / 1000);
}
