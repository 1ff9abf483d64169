import type { BatchRecord } from '../records/batch.ts';
import type { WorkerHeartbeat } from '../records/heartbeat.ts';

/** What the API reads from the queue and the fleet to place a batch (each `null` when unknown). */
export interface EtaInputs {
  /**
   * Jobs that start no later than the batch's last queued job, in fair-share order: the jobs
   * running now, the ones queued before it (every tenant's) and it, its own batch's included.
   */
  jobsAhead: number | null;
  /** What the live workers' slots get through, jobs a second, at their measured call latency. */
  slotsPerSecond: number | null;
  /** The provider limiter's current pace for the batch's model, calls a second (fleet-wide). */
  modelPerSecond: number | null;
}

export const NO_ETA_INPUTS: EtaInputs = {
  jobsAhead: null,
  slotsPerSecond: null,
  modelPerSecond: null,
};

/**
 * When the batch should be done. From the fleet's measured pace, when known: the batch cannot
 * finish before the workers' slots have run every job ahead of its last one (`jobsAhead` ÷
 * `slotsPerSecond`), nor before its own remaining jobs have passed its model's provider pace
 * (remaining ÷ `modelPerSecond`); the later of the two. Otherwise from the pace the batch itself
 * has kept since submission (jobs finished per second, waiting behind other tenants included),
 * which needs one finished job. `null` when neither is known, and once the batch is done.
 */
export function batchEta(
  record: BatchRecord,
  inputs: EtaInputs = NO_ETA_INPUTS,
  now = Date.now(),
): string | null {
  const { total, succeeded, failed, canceled } = record.counts;
  const done = succeeded + failed + canceled;
  if (record.status === 'completed' || record.status === 'canceled' || done >= total) return null;
  const remaining = total - done;
  const { jobsAhead, slotsPerSecond, modelPerSecond } = inputs;
  if (jobsAhead !== null && slotsPerSecond !== null && slotsPerSecond > 0) {
    let seconds = Math.max(jobsAhead, remaining) / slotsPerSecond;
    if (modelPerSecond !== null && modelPerSecond > 0) {
      seconds = Math.max(seconds, remaining / modelPerSecond);
    }
    return new Date(now + seconds * 1000).toISOString();
  }
  const elapsed = now - Date.parse(record.createdAt);
  if (done === 0 || !(elapsed > 0)) return null;
  return new Date(now + (remaining * elapsed) / done).toISOString();
}

type Beat = Pick<WorkerHeartbeat, 'concurrency' | 'latency_ms' | 'pace_per_min' | 'seen_at'>;

/**
 * The fleet's measured pace from the live workers' heartbeats: `slotsPerSecond` sums each
 * worker's concurrency ÷ its observed provider-call latency (workers without a measured latency
 * add nothing; none measured → null); `modelPerSecond` is the limiter's pace for `model` as the
 * freshest heartbeat read it (the limiter is fleet-wide, so one reading is the fleet's).
 */
export function fleetPace(
  beats: readonly Beat[],
  model: string | null,
): Pick<EtaInputs, 'slotsPerSecond' | 'modelPerSecond'> {
  let slots = 0;
  for (const beat of beats) {
    if (beat.latency_ms && beat.latency_ms > 0)
      slots += (beat.concurrency * 1000) / beat.latency_ms;
  }
  const freshest = beats
    .filter((beat) => beat.pace_per_min)
    .reduce<Beat | null>(
      (best, beat) => (!best || beat.seen_at > best.seen_at ? beat : best),
      null,
    );
  const perMin = model !== null ? freshest?.pace_per_min?.[model] : undefined;
  return {
    slotsPerSecond: slots > 0 ? slots : null,
    modelPerSecond: perMin !== undefined && perMin > 0 ? perMin / 60 : null,
  };
}
