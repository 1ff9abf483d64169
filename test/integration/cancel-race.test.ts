import { newId, normalizeGeneration } from '@imagen-queue/contract';
import {
  createEmulator,
  createImagenClient,
  type Emulator,
  type ImagenClient,
} from '@imagen-queue/imagen';
import { createLogger, createStorage, loadConfig } from '@imagen-queue/shared';
import { createJobStore, createRedis, createSpool } from '@imagen-queue/store';
import { generateImages } from '@imagen-queue/worker/generate-images';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceEnv } from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';

// The race a cancel can lose by a hair: the provider has answered (the images are paid for),
// and the client's cancel lands before the worker records the success. Real Redis (the job
// store's transition script decides), a real emulator over HTTP, real S3.
const prefix = testPrefix();
const env = serviceEnv(prefix, { IMAGEN_API_KEY: 'emulator-key', LOG_LEVEL: 'silent' });
const config = loadConfig(env);
const connection = createRedis(config.redis, { name: 'cancel-race', role: 'worker' });
const store = createJobStore(connection, { prefix, retentionSeconds: 3600 });
const storage = createStorage(config.s3);
const spool = createSpool(connection, { prefix, ttlSeconds: 3600 });
const log = createLogger({ level: 'silent', name: 'cancel-race', pretty: false });
let emulator: Emulator;
let provider: ImagenClient;

beforeAll(async () => {
  await storage.ensureBucket();
  emulator = await createEmulator({ smallImages: true, apiKey: 'emulator-key' });
  provider = createImagenClient({
    provider: 'aimlapi',
    baseUrl: emulator.url,
    apiKey: 'emulator-key',
  });
});
afterAll(async () => {
  await provider?.close();
  await emulator?.close();
  storage.close();
  await connection.quit();
});

describe('a cancel that lands after the provider answered, before the success is recorded', () => {
  it('wins: the job stays canceled and no result is stored', async () => {
    const tenant = 'acme';
    const job = await store.create({
      id: newId('job'),
      tenant,
      batchId: null,
      request: normalizeGeneration({ prompt: 'a lighthouse, canceled late', seed: 3 }),
      metadata: {},
      webhookUrl: null,
      priority: 0,
    });
    const answered: number[] = [];
    // The hook: the provider's real answer comes back, then the API's cancel transition runs
    // (the same change `cancelJobs` applies), and only then does the worker carry on. The
    // worker's abort signal is not fired: its cancel message is still on the way.
    const racing: ImagenClient = {
      async generate(request, options) {
        const result = await provider.generate(request, options);
        answered.push(result.images.length);
        const canceled = await store.transition(tenant, job.id, {
          from: ['queued', 'running'],
          to: 'canceled',
          error: { code: 'canceled', message: 'canceled by the client', retryable: false },
          batchId: null,
        });
        expect(canceled.applied).toBe(true);
        return result;
      },
      close: () => provider.close(),
    };
    const finished: string[] = [];
    await generateImages(
      { jobId: job.id, tenant },
      {
        log,
        store,
        storage,
        imagen: racing,
        limiter: { acquire: async () => async () => {}, currentRate: async () => 60 },
        spool,
        signal: new AbortController().signal,
        finalAttempt: true,
        onFinished: async (record) => {
          finished.push(record.status);
        },
      },
    );

    expect(answered).toEqual([1]);
    expect(emulator.stats()).toMatchObject({ requests: 1, images: 1 });
    const record = await store.get(tenant, job.id);
    expect(record).toMatchObject({ status: 'canceled', result: null });
    expect(record!.error).toMatchObject({ code: 'canceled' });
    // No success was announced for it.
    expect(finished).toEqual([]);
  });
});
