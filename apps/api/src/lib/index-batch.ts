import type { JobRecord, ListIndex } from '@imagen-queue/shared';

/**
 * Lists a new batch and its jobs for `GET /v1/batches` and `GET /v1/jobs`. Called before the
 * enqueue: ids of a batch that is then rolled back are dropped by the lists' reader.
 */
export async function indexBatch(
  index: ListIndex,
  tenant: string,
  batchId: string,
  jobs: JobRecord[],
): Promise<void> {
  await Promise.all([
    index.add(tenant, 'batches', [batchId]),
    index.add(
      tenant,
      'jobs',
      jobs.map((job) => job.id),
    ),
  ]);
}
