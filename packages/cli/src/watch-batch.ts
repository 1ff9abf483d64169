import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client.ts';
import type { Batch } from './api-types.ts';
import type { ProgressReporter } from './progress.ts';

export function isBatchFinished(batch: Batch): boolean {
  return (
    batch.status === 'completed' ||
    batch.status === 'canceled' ||
    batch.counts.queued + batch.counts.running === 0
  );
}

/** Polls the batch (O(1) on the API side) until every job is finished. */
export async function watchBatch(
  client: ApiClient,
  batchId: string,
  reporter: ProgressReporter,
  options: { intervalMs?: number } = {},
): Promise<Batch> {
  const intervalMs = options.intervalMs ?? 500;
  try {
    for (;;) {
      const batch = await client.getBatch(batchId);
      reporter.update(batch.counts);
      if (isBatchFinished(batch)) return batch;
      await sleep(intervalMs);
    }
  } finally {
    reporter.stop();
  }
}

/** Every job finished, and all of them succeeded. */
export function batchSucceeded(batch: Batch): boolean {
  return batch.counts.succeeded === batch.counts.total;
}
