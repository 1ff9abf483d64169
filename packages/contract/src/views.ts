import { batchEta, type EtaInputs } from './control/eta.ts';
import { imagesExpireAt } from './images.ts';
import { BATCH_RECORD, type BatchRecord } from './records/batch.ts';
import { viewValues } from './records/codec.ts';
import { JOB_RECORD, type JobRecord } from './records/job.ts';
import type { Batch } from './schemas/batch.ts';
import type { Job } from './schemas/job.ts';
import { EMPTY_USAGE } from './usage.ts';

/** How a view reaches the stored images: a presigned URL per key, and how long they are kept. */
export interface ImageLinks {
  presignGet(key: string): Promise<string>;
  imageRetentionDays?: number | null;
}

/** The job as the API shows it, with fresh presigned URLs for its images. */
export async function toJobView(record: JobRecord, storage: ImageLinks): Promise<Job> {
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
    ...viewValues(JOB_RECORD, record),
    result,
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
  return { ...viewValues(BATCH_RECORD, record), eta: batchEta(record, eta) };
}
