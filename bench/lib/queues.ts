import { QUEUES } from '@imagen-queue/shared';
import { Queue } from 'bullmq';
import { sleep } from './stats.ts';

/** The bench's own handle on a prefix's generation queue (ours and baselines use the same name). */
export function benchQueue(redisUrl: string, prefix: string): Queue {
  const url = new URL(redisUrl);
  return new Queue(QUEUES.generation, {
    // Options rather than a client: BullMQ closes a connection it made itself.
    connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null },
    prefix: `{${prefix}}`,
  });
}

/**
 * With `total` jobs waiting in a paused queue: resumes it and times the completions between
 * 10 % and 90 % of them, so worker start-up and the tail do not count. Pauses it again and
 * clears the finished jobs afterwards. Returns jobs per second.
 */
export async function drainRate(queue: Queue, total: number, timeoutMs: number): Promise<number> {
  const low = Math.ceil(total * 0.1);
  const high = Math.floor(total * 0.9);
  const deadline = Date.now() + timeoutMs;
  let lowAt: number | null = null;
  let highAt: number | null = null;
  await queue.resume();
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    const done = (counts.completed ?? 0) + (counts.failed ?? 0);
    const now = performance.now();
    if (lowAt === null && done >= low) lowAt = now;
    if (highAt === null && done >= high) highAt = now;
    if (done >= total) {
      if ((counts.failed ?? 0) > 0) throw new Error(`${counts.failed} of ${total} jobs failed`);
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
