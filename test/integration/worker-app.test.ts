import { createEmulator, type Emulator } from '@imagen-queue/imagen';
import type { loadConfig } from '@imagen-queue/shared';
import { createWorkerApp, type WorkerApp } from '@imagen-queue/worker/app';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestJob, inProcessClients, inProcessWorkerConfig } from '../support/in-process.ts';
import { testPrefix } from '../support/tracking.ts';

// The worker's factory in-process, as main.ts starts it: what its close() promises on SIGTERM.
// Real Redis, real S3, the emulator over HTTP answering no generation at all.
const prefix = testPrefix();
const tenant = 'acme';
const { connection, store, generation } = inProcessClients(prefix, 'worker-app');
let emulator: Emulator;
let app: WorkerApp;
let config: ReturnType<typeof loadConfig>;

beforeAll(async () => {
  emulator = await createEmulator({ apiKey: 'emulator-key', hangRate: 1 });
  config = inProcessWorkerConfig(prefix, emulator.url, {
    WORKER_CONCURRENCY: '1',
    WORKER_SHUTDOWN_GRACE_MS: '300',
  });
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
  it('past the grace period aborts a provider call that never answers and hands the job back', async () => {
    const job = await createTestJob(store, tenant, 'a heron at dawn');
    await generation.add('generate-images', { jobId: job.id, tenant }, { jobId: job.id });
    await vi.waitFor(() => expect(emulator.stats().hung).toBe(1), { timeout: 20_000 });

    // Without the abort at the end of the grace, close() would wait for the call forever.
    await app.close();

    // The job was stopped, not failed: it is back in the queue, its attempt uncounted, and
    // no worker that is gone holds it.
    const queued = await generation.getJob(job.id);
    expect(['waiting', 'delayed', 'prioritized']).toContain(await queued!.getState());
    expect(queued!.attemptsMade).toBe(0);
    expect(await store.get(tenant, job.id)).toMatchObject({
      status: 'queued',
      attempts: 0,
      error: { code: 'interrupted', retryable: true },
    });

    // The next worker runs it to the end.
    emulator.setConfig({ hangRate: 0 });
    app = createWorkerApp(config);
    await app.start();
    await vi.waitFor(
      async () => expect((await store.get(tenant, job.id))?.status).toBe('succeeded'),
      { timeout: 30_000 },
    );
  });
});
