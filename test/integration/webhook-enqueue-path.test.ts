import { jobEventId } from '@imagen-queue/contract';
import { createEmulator, type Emulator } from '@imagen-queue/imagen';
import { createWebhookDispatcher } from '@imagen-queue/store';
import { createWorkerApp, type WorkerApp } from '@imagen-queue/worker/app';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestJob, inProcessClients, inProcessWorkerConfig } from '../support/in-process.ts';
import { testPrefix } from '../support/tracking.ts';

// The path of a finished job's webhook event: the process that made the terminal transition
// puts it in the delivery queue itself, right after its BullMQ job completes (off the job's
// path; `settled()` says when that is done). The outbox drain is
// only the safety net for a process that died in between (fault-cancel-outbox.test.ts): the
// worker's own drain takes only entries older than its grace (5 s), and the delivery queue is
// paused, so its delivery worker takes nothing: whatever is in the queue, the finishing worker
// put there. Real Redis, a real emulator over HTTP, real S3; the worker of apps/worker
// in-process, built by the same factory its main.ts uses.
const prefix = testPrefix();
const tenant = 'acme';
const { connection, store, generation } = inProcessClients(prefix, 'webhook-enqueue-path');
const webhooks = createWebhookDispatcher({
  connection,
  prefix,
  retryScheduleMs: [5_000],
  retentionSeconds: 3600,
});
let emulator: Emulator;
let app: WorkerApp;

beforeAll(async () => {
  emulator = await createEmulator({ smallImages: true, apiKey: 'emulator-key' });
  await webhooks.queue.pause();
  const config = inProcessWorkerConfig(prefix, emulator.url, { WORKER_CONCURRENCY: '2' });
  app = createWorkerApp(config);
  await app.start();
});

afterAll(async () => {
  await app?.close();
  await generation.close();
  await webhooks.close();
  await emulator?.close();
  await connection.quit();
});

describe('a finished job’s webhook event', () => {
  it('is in the delivery queue when its generation job completes, put there by the worker that finished it', async () => {
    // The webhook URL is never called: the delivery queue stays paused.
    const job = await createTestJob(store, tenant, 'a heron at dawn', 'http://127.0.0.1:9/hook');
    const completed = new Promise<void>((resolve, reject) => {
      app.generation.on('completed', (done) => {
        if (done.id === job.id) resolve();
      });
      app.generation.on('failed', (failed, error) => {
        if (failed?.id === job.id) reject(error);
      });
    });
    await generation.add('generate-images', { jobId: job.id, tenant }, { jobId: job.id });
    await completed;
    await app.settled();

    expect(await store.get(tenant, job.id)).toMatchObject({ status: 'succeeded' });
    const eventId = jobEventId(job.id, 1);
    const queued = await webhooks.queue.getJob(eventId);
    expect(queued?.data).toEqual({ tenant, eventId });
    expect(await queued!.getState()).toBe('waiting');
    expect(await webhooks.events.get(tenant, eventId)).toMatchObject({
      type: 'job.succeeded',
      status: 'pending',
    });
    // The transition's outbox entry is settled by the same process (one ZREM for the entries
    // settled meanwhile, sent as soon as the previous one returned): nothing is left owed,
    // well before the drain, which leaves entries younger than 5 s alone, could take it.
    await vi.waitFor(
      async () =>
        expect(await (connection as Redis).zscore(store.keys.outbox(tenant), job.id)).toBeNull(),
      { timeout: 2_000 },
    );
  });
});
