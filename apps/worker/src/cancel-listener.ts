import type { Logger } from '@imagen-queue/shared';
import { type RedisClient, subscribeCancels } from '@imagen-queue/store';
import type { Worker } from 'bullmq';

/**
 * The API marks a running job canceled in its record, then publishes its id; the worker running
 * it aborts the attempt (BullMQ's cancellation gives the processor's AbortSignal a reason).
 */
export function listenForCancels(
  subscriber: RedisClient,
  prefix: string,
  worker: Pick<Worker, 'cancelJob'>,
  log: Logger,
): Promise<() => Promise<void>> {
  return subscribeCancels(
    subscriber,
    prefix,
    (jobId) => {
      if (worker.cancelJob(jobId, 'canceled')) log.info({ jobId }, 'aborting canceled job');
    },
    (error) => log.warn({ err: error }, 'bad cancel message'),
  );
}
