import { type JobRecord, redisKeys } from '@imagen-queue/contract';
import { faultPoint } from '@imagen-queue/shared';
import type { TransitionOutcome } from '@imagen-queue/store';
import type { FastifyInstance } from 'fastify';

export type FinishedHook = (job: JobRecord, outcome: TransitionOutcome) => Promise<void>;

/**
 * Cancels jobs that are still queued or running. The record changes first (one Lua transition
 * each, so a cancel racing a finish counts once); then a queued job leaves BullMQ, and the
 * worker running a running one is told to abort it. Returns the jobs actually canceled.
 */
export async function cancelJobs(
  fastify: FastifyInstance,
  jobs: JobRecord[],
  onFinished?: FinishedHook,
): Promise<JobRecord[]> {
  const canceled: JobRecord[] = [];
  const running: string[] = [];
  await Promise.all(
    jobs.map(async (job) => {
      const outcome = await fastify.jobStore.transition(job.tenant, job.id, {
        from: ['queued', 'running'],
        to: 'canceled',
        error: { code: 'canceled', message: 'canceled by the client', retryable: false },
        batchId: job.batchId,
      });
      if (!outcome.applied) return;
      faultPoint('cancel-after-transition');
      canceled.push({ ...job, status: 'canceled' });
      // An active job is locked by its worker and cannot be removed; the worker is told instead.
      const removed = await fastify.queues.generation.remove(job.id).catch(() => 0);
      if (!removed) running.push(job.id);
      // The job is canceled whatever happens to its event: a failed enqueue is logged, and
      // must not keep the running jobs below from being told to stop.
      await onFinished?.({ ...job, status: 'canceled' }, outcome).catch((error: unknown) =>
        fastify.log.error({ err: error, jobId: job.id }, 'could not enqueue the cancel event'),
      );
    }),
  );
  if (running.length > 0) {
    const channel = redisKeys(fastify.config.redis.prefix).cancelChannel();
    await Promise.all(
      running.map((jobId) => fastify.redis.publish(channel, JSON.stringify({ jobId }))),
    );
  }
  return canceled;
}
