import {
  createEmulator,
  createImagenClient,
  type Emulator,
  type ImagenClient,
} from '@imagen-queue/imagen';
import {
  bullPrefix,
  createJobStore,
  createLogger,
  createRedis,
  createStorage,
  createWebhookDispatcher,
  jobEventId,
  loadConfig,
  newId,
  normalizeGeneration,
  QUEUES,
} from '@imagen-queue/shared';
import {
  createGenerationWorker,
  type GenerationWorker,
} from '@imagen-queue/worker/generation-worker';
import { createProviderLimiter } from '@imagen-queue/worker/limiter';
import { createSpool } from '@imagen-queue/worker/spool';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceEnv } from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';

// The path of a finished job's webhook event: the process that made the terminal transition
// puts it in the delivery queue itself, before its BullMQ job completes. The outbox drain is
// only the safety net for a process that died in between (fault-cancel-outbox.test.ts), and
// no drain runs here, nor any delivery worker: whatever is in the queue, this worker put there.
// Real Redis, a real emulator over HTTP, real S3; the generation worker of apps/worker in-process.
const prefix = testPrefix();
const tenant = 'acme';
const env = serviceEnv(prefix, {
  IMAGEN_API_KEY: 'emulator-key',
  LOG_LEVEL: 'silent',
  WORKER_CONCURRENCY: '2',
});
const config = loadConfig(env);
const connection = createRedis(config.redis, { name: 'webhook-enqueue-path', role: 'worker' });
const store = createJobStore(connection, { prefix, retentionSeconds: 3600 });
const storage = createStorage(config.s3);
const logger = createLogger({ level: 'silent', name: 'webhook-enqueue-path', pretty: false });
const webhooks = createWebhookDispatcher({
  connection,
  prefix,
  retryScheduleMs: config.webhooks.retryScheduleMs,
  retentionSeconds: 3600,
});
const generation = new Queue(QUEUES.generation, { connection, prefix: bullPrefix(prefix) });
let emulator: Emulator;
let imagen: ImagenClient;
let worker: GenerationWorker;

beforeAll(async () => {
  await storage.ensureBucket();
  emulator = await createEmulator({ smallImages: true, apiKey: 'emulator-key' });
  imagen = createImagenClient({
    provider: 'aimlapi',
    baseUrl: emulator.url,
    apiKey: 'emulator-key',
  });
  worker = createGenerationWorker({
    config,
    connection,
    logger,
    store,
    storage,
    imagen,
    limiter: createProviderLimiter(connection, { prefix, ...config.provider }),
    spool: createSpool(connection, { prefix, ttlSeconds: 3600 }),
    webhooks,
  });
  void worker.run();
});

afterAll(async () => {
  await worker?.close();
  await generation.close();
  await webhooks.close();
  await imagen?.close();
  await emulator?.close();
  storage.close();
  await connection.quit();
});

describe('a finished job’s webhook event', () => {
  it('is in the delivery queue when its generation job completes, put there by the worker that finished it', async () => {
    const job = await store.create({
      id: newId('job'),
      tenant,
      batchId: null,
      request: normalizeGeneration({ prompt: 'a heron at dawn', seed: 5 }),
      metadata: {},
      // Never called: no delivery worker runs in this test.
      webhookUrl: 'http://127.0.0.1:9/hook',
      priority: 0,
    });
    const completed = new Promise<void>((resolve, reject) => {
      worker.on('completed', (done) => {
        if (done.id === job.id) resolve();
      });
      worker.on('failed', (failed, error) => {
        if (failed?.id === job.id) reject(error);
      });
    });
    await generation.add('generate-images', { jobId: job.id, tenant }, { jobId: job.id });
    await completed;

    expect(await store.get(tenant, job.id)).toMatchObject({ status: 'succeeded' });
    const eventId = jobEventId(job.id, 1);
    const queued = await webhooks.queue.getJob(eventId);
    expect(queued?.data).toEqual({ tenant, eventId });
    expect(await queued!.getState()).toBe('waiting');
    expect(await webhooks.events.get(tenant, eventId)).toMatchObject({
      type: 'job.succeeded',
      status: 'pending',
    });
    // The transition's outbox entry is settled by the same process: nothing is left owed.
    expect(await (connection as Redis).zscore(store.keys.outbox(tenant), job.id)).toBeNull();
  });
});
