import { redisKeys } from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import type { RedisClient } from '../redis.ts';
import { defineScripts } from '../scripts.ts';
import type { WebhookDispatcher } from './dispatcher.ts';

export interface OutboxDelivererOptions {
  connection: RedisClient;
  prefix: string;
  dispatcher: Pick<WebhookDispatcher, 'jobFoundFinished'>;
  /** How often the outboxes are looked at. */
  intervalMs?: number;
  /**
   * An entry younger than this is left to the process that made the transition (it enqueues
   * the events itself right after); older, that process is presumed gone.
   */
  graceMs?: number;
  onError?: (error: Error) => void;
}

const BATCH = 100;

/**
 * Drains the outboxes the transition script writes: for each job whose terminal transition is
 * older than the grace and still listed, its webhook events are recorded and enqueued (a no-op
 * when the transition's own process did it: event ids are deterministic), then the entry goes.
 * Runs in every API and worker process; two of them draining at once only repeat no-ops.
 */
export function startOutboxDeliverer(options: OutboxDelivererOptions) {
  const client = options.connection as Redis;
  const keys = redisKeys(options.prefix);
  // Removes an entry only if no newer terminal transition re-scored it meanwhile.
  const scripts = defineScripts<{
    done(outbox: string, jobId: string, score: string): Promise<number>;
  }>(options.connection, { done: { file: 'outbox-done', keys: 1 } });
  const intervalMs = options.intervalMs ?? 1_000;
  const graceMs = options.graceMs ?? 5_000;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const drainOnce = async (): Promise<number> => {
    let drained = 0;
    const tenants = await client.smembers(keys.outboxTenants());
    for (const tenant of tenants) {
      const outbox = keys.outbox(tenant);
      const due = await client.zrangebyscore(
        outbox,
        '-inf',
        Date.now() - graceMs,
        'WITHSCORES',
        'LIMIT',
        0,
        BATCH,
      );
      for (let i = 0; i < due.length; i += 2) {
        const [jobId, score] = [due[i]!, due[i + 1]!];
        await options.dispatcher.jobFoundFinished(tenant, jobId);
        await scripts.done(outbox, jobId, score);
        drained += 1;
      }
    }
    return drained;
  };

  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(drainOnce).then(
      () => undefined,
      (error: Error) => options.onError?.(error),
    );
  }, intervalMs);
  timer.unref();

  return {
    /** One pass now (tests, and a process that wants its own backlog gone before exiting). */
    drainOnce,
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
export type OutboxDeliverer = ReturnType<typeof startOutboxDeliverer>;
