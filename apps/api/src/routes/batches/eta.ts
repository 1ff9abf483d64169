import { type BatchRecord, type EtaInputs, fleetPace, NO_ETA_INPUTS } from '@imagen-queue/contract';
import {
  type BatchStore,
  createFairShare,
  createHeartbeatStore,
  type JobStore,
  type RedisClient,
} from '@imagen-queue/store';

interface EtaDeps {
  redis: RedisClient;
  prefix: string;
  batchStore: BatchStore;
  jobStore: JobStore;
}

/**
 * Reads what places a batch in the fleet's work: how many jobs start no later than its last
 * queued one (fair-share order, every tenant's), and the fleet's measured pace (heartbeats).
 * Its last job stands for its remaining ones: a batch's jobs are queued in order, so it starts last.
 */
export function createEtaReader(deps: EtaDeps) {
  const fair = createFairShare(deps.redis, { prefix: deps.prefix });
  const heartbeats = createHeartbeatStore(deps.redis, deps.prefix);
  return async (record: BatchRecord): Promise<EtaInputs> => {
    const { total, succeeded, failed, canceled } = record.counts;
    const remaining = total - succeeded - failed - canceled;
    if (remaining <= 0 || record.status === 'completed' || record.status === 'canceled') {
      return NO_ETA_INPUTS;
    }
    const [lastId] = await deps.batchStore.jobIds(record.tenant, record.id, total - 1, 1);
    if (!lastId) return NO_ETA_INPUTS;
    const [ahead, last, beats] = await Promise.all([
      fair.jobsAhead(lastId),
      deps.jobStore.get(record.tenant, lastId),
      heartbeats.list(),
    ]);
    // Its last job already started (or waits for a retry): only the batch's own jobs are left.
    return { jobsAhead: ahead ?? remaining, ...fleetPace(beats, last?.request.model ?? null) };
  };
}
