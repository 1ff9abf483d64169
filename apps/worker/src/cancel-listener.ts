import { redisKeys } from '@imagen-queue/contract';
import type { Logger } from '@imagen-queue/shared';
import type { RedisClient } from '@imagen-queue/store';
import type { Worker } from 'bullmq';

/**
 * The API marks a running job canceled in its record, then publishes here; the worker running
 * it aborts the attempt (BullMQ's cancellation gives the processor's AbortSignal a reason).
 * Pub/sub may drop a message: the record is already canceled then, and the attempt's own
 * transitions will not apply, so nothing is stored as a result.
 */
export async function listenForCancels(
  subscriber: RedisClient,
  prefix: string,
  worker: Pick<Worker, 'cancelJob'>,
  log: Logger,
): Promise<() => Promise<void>> {
  const channel = redisKeys(prefix).cancelChannel();
  subscriber.on('message', (received: string, message: string) => {
    if (received !== channel) return;
    try {
      const { jobId } = JSON.parse(message) as { jobId: string };
      if (worker.cancelJob(jobId, 'canceled')) log.info({ jobId }, 'aborting canceled job');
    } catch (error) {
      log.warn({ err: error }, 'bad cancel message');
    }
  });
  await subscriber.subscribe(channel);
  return async () => {
    await subscriber.unsubscribe(channel);
  };
}
