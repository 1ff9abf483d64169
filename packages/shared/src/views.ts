import type { BatchRecord } from './batch-store.ts';
import { batchEta, type EtaInputs } from './control/eta.ts';
import type { JobRecord } from './job-store.ts';
import type { Batch } from './schemas/batch.ts';
import type { Job } from './schemas/job.ts';
import { imagesExpireAt, type Storage } from './storage.ts';
import { EMPTY_USAGE } from './usage/usage.ts';

/** The job as the API shows it, with fresh presigned URLs for its images. */
export async function toJobView(
  record: JobRecord,
  storage: Pick<Storage, 'presignGet'> & { imageRetentionDays?: number | null },
): Promise<Job> {
  const result = record.result
    ? {
        ...record.result,
        images: await Promise.all(
          record.result.images.map(async (image) => ({
            url: await storage.presignGet(image.key),
            ...image,
          })),
        ),
      }
    : null;
  return {
    id: record.id,
    batch_id: record.batchId,
    status: record.status,
    attempts: record.attempts,
    created_at: record.createdAt,
    started_at: record.startedAt,
    finished_at: record.finishedAt,
    request: record.request,
    metadata: record.metadata,
    webhook_url: record.webhookUrl,
    priority: record.priority,
    result,
    error: record.error,
    usage: record.usage ?? { ...EMPTY_USAGE, request_ids: [] },
    expires_at: record.result?.images.length
      ? imagesExpireAt(record.finishedAt ?? record.createdAt, storage.imageRetentionDays)
      : null,
  };
}

/**
 * The batch as the API shows it; its counts are live. Its `eta` uses the fleet's pace when
 * `eta` inputs are given (`GET /v1/batches/{id}`), else the batch's own pace (lists, events).
 */
export function toBatchView(record: BatchRecord, eta?: EtaInputs): Batch {
  return {
    id: record.id,
    status: record.status,
    counts: record.counts,
    created_at: record.createdAt,
    finished_at: record.finishedAt,
    metadata: record.metadata,
    webhook_url: record.webhookUrl,
    usage: record.usage ?? EMPTY_USAGE,
    eta: batchEta(record, eta),
    max_cost_usd: record.maxCostUsd ?? null,
    stop_reason: record.stopReason ?? null,
  };
}
