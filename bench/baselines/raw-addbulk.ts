// Baseline of the `ingest` figure: `Queue.addBulk` of the same jobs (their parameters as the
// job data, the options our API gives them), with nothing in front: no HTTP, no validation,
// no job records.
import type { GenerationParams } from '@imagen-queue/contract';
import type { Queue } from 'bullmq';

let next = 0;

export async function rawAddBulk(queue: Queue, jobs: GenerationParams[]): Promise<void> {
  await queue.addBulk(
    jobs.map((data) => ({
      name: 'generate-images',
      data,
      opts: {
        jobId: `raw-${next++}`,
        attempts: 5,
        backoff: { type: 'custom' },
        removeOnComplete: { age: 3600, count: 10_000 },
      },
    })),
  );
}
