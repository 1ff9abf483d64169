import type { Job, JobRecord, Storage } from '@imagen-queue/shared';

/** The job as the contract shows it, with a fresh presigned URL for every stored image. */
export async function toJobView(record: JobRecord, storage: Storage): Promise<Job> {
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
  };
}
