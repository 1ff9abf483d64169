import type { BatchRecord } from '../batch-store.ts';

/**
 * When the batch should be done at the pace it has kept since it was submitted (jobs finished per
 * second, waiting behind other tenants' fair share included). `null` until one job has finished,
 * and once the batch is.
 */
export function batchEta(record: BatchRecord, now = Date.now()): string | null {
  const { total, succeeded, failed, canceled } = record.counts;
  const done = succeeded + failed + canceled;
  if (record.status === 'completed' || record.status === 'canceled' || done === 0) return null;
  const elapsed = now - Date.parse(record.createdAt);
  if (!(elapsed > 0)) return null;
  return new Date(now + ((total - done) * elapsed) / done).toISOString();
}
