import { bullPrefix, newId, normalizeGeneration, QUEUES } from '@imagen-queue/contract';
import { loadConfig } from '@imagen-queue/shared';
import { createJobStore, createRedis, type JobStore } from '@imagen-queue/store';
import { Queue } from 'bullmq';
import { serviceEnv } from './processes.ts';

/**
 * What a test that runs the worker in-process reads and feeds it with: one Redis connection of
 * the test's own, the job store and the generation queue, all under the test's prefix.
 */
export function inProcessClients(prefix: string, name: string) {
  const connection = createRedis(loadConfig(serviceEnv(prefix)).redis, { name, role: 'worker' });
  return {
    connection,
    store: createJobStore(connection, { prefix, retentionSeconds: 3600 }),
    generation: new Queue(QUEUES.generation, { connection, prefix: bullPrefix(prefix) }),
  };
}

/** A queued job of one seeded prompt, recorded as the API records it (no batch, no metadata). */
export function createTestJob(
  store: JobStore,
  tenant: string,
  prompt: string,
  webhookUrl: string | null = null,
) {
  return store.create({
    id: newId('job'),
    tenant,
    batchId: null,
    request: normalizeGeneration({ prompt, seed: 5 }),
    metadata: {},
    webhookUrl,
    priority: 0,
  });
}

/** The worker's configuration for the test's prefix, calling the emulator at `emulatorUrl`. */
export function inProcessWorkerConfig(
  prefix: string,
  emulatorUrl: string,
  extra: Record<string, string>,
) {
  return loadConfig(
    serviceEnv(prefix, {
      IMAGEN_PROVIDER: 'aimlapi',
      IMAGEN_BASE_URL: emulatorUrl,
      IMAGEN_API_KEY: 'emulator-key',
      LOG_LEVEL: 'silent',
      ...extra,
    }),
  );
}
