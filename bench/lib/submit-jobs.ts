import type { ApiClient } from './api.ts';
import { NotMeasured } from './figure.ts';

/**
 * Submits jobs through our API: 1,000-job batches when `POST /v1/batches` exists, else one
 * `POST /v1/jobs` each (20 at a time). Returns the batch ids (none for single jobs).
 */
export async function submitJobs(
  client: ApiClient,
  jobs: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  const batchIds: string[] = [];
  for (let i = 0; i < jobs.length; i += 1000) {
    const { status, body } = await client.post('/v1/batches', {
      jobs: jobs.slice(i, i + 1000),
      ...extra,
    });
    if (status === 404 && i === 0) return submitOneByOne(client, jobs, extra);
    if (status !== 202)
      throw new NotMeasured(
        `POST /v1/batches answered ${status}: ${JSON.stringify(body).slice(0, 200)}`,
      );
    batchIds.push((body as { id: string }).id);
  }
  return batchIds;
}

async function submitOneByOne(
  client: ApiClient,
  jobs: Record<string, unknown>[],
  extra: Record<string, unknown>,
) {
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const { status, body } = await client.post('/v1/jobs', { ...job, ...extra });
      if (status !== 202)
        throw new Error(`POST /v1/jobs answered ${status}: ${JSON.stringify(body)}`);
    }
  };
  await Promise.all(Array.from({ length: 20 }, lane));
  return [];
}
