import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Job } from '@imagen-queue/contract';
import { expect } from 'vitest';
import {
  type RunningProcess,
  s3ClientFor,
  serviceEnv,
  startApi,
  startEmulator,
  startWorker,
} from './processes.ts';

export const TEST_KEY = 'acme-fault-key-1';

/** The batch as `GET /v1/batches/{id}` shows it. */
export interface BatchView {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'canceled';
  counts: {
    total: number;
    queued: number;
    running: number;
    succeeded: number;
    failed: number;
    canceled: number;
  };
}

export interface StackOptions {
  prefix: string;
  workers?: number;
  emulatorEnv?: Record<string, string>;
  /** Overrides for API and worker (REDIS_URL of a Redis of the test's own, JOB_ATTEMPTS…). */
  env?: Record<string, string>;
}

/** Emulator, API and N workers as real processes, sharing one prefix. */
export async function startStack(options: StackOptions) {
  const emulator = await startEmulator(options.emulatorEnv ?? {});
  const env: Record<string, string> = {
    ...serviceEnv(options.prefix),
    API_KEYS: `acme:${TEST_KEY}`,
    IMAGEN_BASE_URL: emulator.url,
    IMAGEN_API_KEY: 'emulator-key',
    ...options.env,
  };
  const [api, ...workers] = await Promise.all([
    startApi(env),
    ...Array.from({ length: options.workers ?? 1 }, (_, i) => startWorker(env, `worker-${i + 1}`)),
  ]);
  const request = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${api!.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${TEST_KEY}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
    return { status: response.status, body: (await response.json().catch(() => null)) as unknown };
  };
  const stack = {
    env,
    emulator,
    api: api as RunningProcess & { url: string },
    workers: workers as RunningProcess[],
    request,
    async addWorker(name: string) {
      const worker = await startWorker(env, name);
      stack.workers.push(worker);
      return worker;
    },
    async submitBatch(jobs: Record<string, unknown>[]): Promise<string> {
      const { status, body } = await request('/v1/batches', {
        method: 'POST',
        body: JSON.stringify({ jobs }),
      });
      expect(status, JSON.stringify(body)).toBe(202);
      return (body as BatchView).id;
    },
    async submitJob(params: Record<string, unknown>): Promise<Job> {
      const { status, body } = await request('/v1/jobs', {
        method: 'POST',
        body: JSON.stringify(params),
      });
      expect(status, JSON.stringify(body)).toBe(202);
      return body as Job;
    },
    async job(id: string): Promise<Job> {
      return (await request(`/v1/jobs/${id}`)).body as Job;
    },
    async batch(id: string): Promise<BatchView> {
      const { status, body } = await request(`/v1/batches/${id}`);
      if (status !== 200) throw new Error(`GET batch answered ${status}: ${JSON.stringify(body)}`);
      return body as BatchView;
    },
    /** Polls until every job of the batch is terminal. */
    async waitForBatch(id: string, timeoutMs = 120_000): Promise<BatchView> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const batch = await stack.batch(id).catch(() => null);
        if (batch && (batch.status === 'completed' || batch.status === 'canceled')) return batch;
        if (Date.now() > deadline)
          throw new Error(`batch ${id} not done in time: ${JSON.stringify(batch)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async batchJobs(id: string): Promise<Job[]> {
      const jobs: Job[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor
          ? `?limit=500&cursor=${encodeURIComponent(cursor)}`
          : '?limit=500';
        const page = (await request(`/v1/batches/${id}/jobs${query}`)).body as {
          data: Job[];
          next_cursor: string | null;
        };
        jobs.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      return jobs;
    },
    async emulatorStats() {
      return (await fetch(`${emulator.url}/__emulator/stats`)).json() as Promise<
        Record<string, number>
      >;
    },
    async stop() {
      const exits = await Promise.all([...stack.workers.map((w) => w.stop()), stack.api.stop()]);
      await emulator.stop();
      return exits;
    },
  };
  return stack;
}

/** How many objects the bucket holds under `prefix`. */
export async function countObjects(env: Record<string, string>, prefix: string): Promise<number> {
  const s3 = s3ClientFor(env);
  let count = 0;
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: env.S3_BUCKET,
          Prefix: prefix,
          ContinuationToken: token,
        }),
      );
      count += page.KeyCount ?? 0;
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    s3.destroy();
  }
  return count;
}

/** One line of figures a fault test prints, so CI logs show what was measured. */
export function report(name: string, figures: Record<string, number | string>): void {
  process.stdout.write(
    `[figures] ${name}: ${Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
}
