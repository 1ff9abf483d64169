import type { JobError, JobRecord } from '@imagen-queue/contract';

/**
 * Why a job that has not started yet must not start: its deadline has passed. `null` = go on.
 * A job that started before (a rerun after a crash) is past this gate already.
 */
export function deadlineRefusal(job: JobRecord, now = Date.now()): JobError | null {
  const startBefore = job.control?.startBefore;
  if (job.startedAt || !startBefore || Date.parse(startBefore) > now) return null;
  return {
    code: 'deadline_exceeded',
    message: `not started by ${startBefore}; no provider call was made`,
    retryable: false,
  };
}
