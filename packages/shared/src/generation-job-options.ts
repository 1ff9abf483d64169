import type { JobsOptions } from 'bullmq';
import type { Config } from './config.ts';

/**
 * How many finished entries BullMQ keeps per queue (generation and webhooks alike), whatever
 * their age: the records are what the API reads, BullMQ's copies are for a look in the board.
 */
export const FINISHED_KEPT = { completed: 100, failed: 1000 } as const;

/**
 * Our workers' `removeOnComplete` and `removeOnFail`: set on the worker rather than on every job,
 * so no queued entry carries them (about 100 bytes of options a job).
 */
export function keepFinished(completedAgeSeconds: number, failedAgeSeconds: number) {
  return {
    removeOnComplete: { age: completedAgeSeconds, count: FINISHED_KEPT.completed },
    removeOnFail: { age: failedAgeSeconds, count: FINISHED_KEPT.failed },
  };
}

/**
 * The BullMQ options of one generation job: its id is the job's own, so a re-add is a no-op;
 * its priority is its fair-share position (see `FairShare`), never the client's number as is.
 * Finished entries are trimmed by count as well as age (by the worker, `keepFinished`): the job's
 * own record (kept for JOB_RETENTION_DAYS) is what `GET /v1/jobs/{id}` reads.
 */
export function generationJobOptions(
  config: Config,
  record: { id: string },
  priority: number,
): JobsOptions {
  return {
    jobId: record.id,
    attempts: config.worker.attempts,
    backoff: { type: 'custom' },
    priority,
    // removeOnComplete and removeOnFail: the worker's (`keepFinished`).
  };
}
