import { createEmulator, type Emulator } from '@imagen-queue/imagen';
import {
  bullPrefix,
  createJobStore,
  createRedis,
  loadConfig,
  newId,
  normalizeGeneration,
  QUEUES,
} from '@imagen-queue/shared';
import { createWorkerApp, type WorkerApp } from '@imagen-queue/worker/app';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serviceEnv } from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';

// The worker's factory in-process, as main.ts starts it: what its close() promises on SIGTERM.
// Real Redis, real S3, the emulator over HTTP answering no generation at all.
const prefix = testPrefix();
const tenant = 'acme';
const connection = createRedis(loadConfig(serviceEnv(prefix)).redis, {
  name: 'worker-app',
  role: 'worker',
});
const store = createJobStore(connection, { prefix, retentionSeconds: 3600 });
const generation = new Queue(QUEUES.generation, { connection, prefix: bullPrefix(prefix) });
let emulator: Emulator;
let app: WorkerApp;

beforeAll(async () => {
  emulator = await createEmulator({ apiKey: 'emulator-key', hangRate: 1 });
  const config = loadConfig(
    serviceEnv(prefix, {
      IMAGEN_PROVIDER: 'aimlapi',
      IMAGEN_BASE_URL: emulator.url,
      IMAGEN_API_KEY: 'emulator-key',
      LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY: '1',
      WORKER_SHUTDOWN_GRACE_MS: '300',
    }),
  );
  app = createWorkerApp(config);
  await app.start();
});

afterAll(async () => {
  await app?.close();
  await generation.close();
  await emulator?.close();
  await connection.quit();
});

describe('createWorkerApp', () => {
  it('closes past the grace period by aborting a provider call that never answers', async () => {
    const job = await store.create({
      id: newId('job'),
      tenant,
      batchId: null,
      request: normalizeGeneration({ prompt: 'a heron at dawn', seed: 5 }),
      metadata: {},
      webhookUrl: null,
      priority: 0,
    });
    await generation.add('generate-images', { jobId: job.id, tenant }, { jobId: job.id });
    await vi.waitFor(() => expect(emulator.stats().hung).toBe(1), { timeout: 20_000 });

    // Without the abort at the end of the grace, close() would wait for the call forever.
    await app.close();

    // What the aborted attempt leaves is the processor's affair; the factory's is that no job
    // stays active, held by a worker that is gone.
    const queued = await generation.getJob(job.id);
    expect(await queued!.getState()).not.toBe('active');
  });
});
