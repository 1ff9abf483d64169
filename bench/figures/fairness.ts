import { normalizeGeneration } from '@imagen-queue/contract';
import type { Job } from 'bullmq';
import { jobParams, stackEnv, startBenchApi } from '../lib/api.ts';
import type { Figure } from '../lib/figure.ts';
import { startBaseline, startEmulator, startWorker } from '../lib/processes.ts';
import { benchQueue } from '../lib/queues.ts';
import { round, sleep, waitUntil } from '../lib/stats.ts';

const PREFIX = 'bench-fairness';
const BASELINE_PREFIX = 'bench-fairness-fifo';
const LATENCY_MS = 200;
const CONCURRENCY = 8;
const OTHER_KEY = 'bench-other-tenant-key-0123';

/**
 * Tenant A queues a big batch; once it is under way tenant B submits one job. How long B's job
 * waits to start, with our fair share and with a plain first-come-first-served BullMQ queue
 * (the pipeline baseline worker: same emulator, latency and concurrency).
 */
export const fairness: Figure = {
  key: 'fairness',
  what: `wait of tenant B's single job behind tenant A's batch, emulator ${LATENCY_MS} ms, concurrency ${CONCURRENCY}`,
  goal: `b_wait_ms ≤ ${5 * LATENCY_MS}`,
  async run({ services, settings, log }) {
    const batchSize = settings.quick ? 500 : 2000;
    const emulator = await startEmulator({ EMULATOR_LATENCY_MS: String(LATENCY_MS) });
    const processes: { stop(): Promise<unknown> }[] = [emulator];
    const fifo = benchQueue(services.redisUrl, BASELINE_PREFIX);
    try {
      const env = stackEnv(services, PREFIX, emulator.url, {
        WORKER_CONCURRENCY: String(CONCURRENCY),
        PROVIDER_INITIAL_RATE_PER_MIN: '100000',
      });
      env.API_KEYS = `${env.API_KEYS},other:${OTHER_KEY}`;
      const api = await startBenchApi(env);
      processes.push(api, await startWorker(env));
      const bWaitMs = await measureOurs(api, batchSize);
      log(`fairness: B waited ${bWaitMs} ms behind ${batchSize} jobs of A`);
      await Promise.all(processes.splice(1).map((p) => p.stop()));

      processes.push(
        await startBaseline('fairness-fifo', 'bench/baselines/pipeline-worker.ts', {
          ...services.env(BASELINE_PREFIX),
          IMAGEN_BASE_URL: emulator.url,
          WORKER_CONCURRENCY: String(CONCURRENCY),
        }),
      );
      const fifoWaitMs = await measureFifo(fifo, batchSize);
      log(`fairness: first come, first served, B waited ${fifoWaitMs} ms`);
      return {
        values: { b_wait_ms: round(bWaitMs, 0), fifo_b_wait_ms: round(fifoWaitMs, 0) },
        goalMet: bWaitMs <= 5 * LATENCY_MS,
      };
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      await fifo.obliterate({ force: true }).catch(() => {});
      await fifo.close();
    }
  },
};

async function measureOurs(api: Awaited<ReturnType<typeof startBenchApi>>, batchSize: number) {
  const submitted = await api.client.post('/v1/batches', {
    jobs: Array.from({ length: batchSize }, (_, i) => jobParams(i)),
  });
  if (submitted.status !== 202) throw new Error(`POST /v1/batches answered ${submitted.status}`);
  const batchId = (submitted.body as { id: string }).id;
  await waitUntil(
    async () => {
      const { body } = await api.client.get(`/v1/batches/${batchId}`);
      return (body as { counts: { succeeded: number } }).counts.succeeded >= 2 * CONCURRENCY;
    },
    60_000,
    "A's batch under way",
  );
  const asOther = { authorization: `Bearer ${OTHER_KEY}`, 'content-type': 'application/json' };
  const response = await fetch(`${api.url}/v1/jobs`, {
    method: 'POST',
    headers: asOther,
    body: JSON.stringify(jobParams(batchSize)),
  });
  const { id } = (await response.json()) as { id: string };
  let job = { status: 'queued', created_at: '', started_at: null as string | null };
  await waitUntil(
    async () => {
      const answer = await fetch(`${api.url}/v1/jobs/${id}`, { headers: asOther });
      job = (await answer.json()) as typeof job;
      return job.started_at !== null;
    },
    600_000,
    "B's job to start",
  );
  await api.client.post(`/v1/batches/${batchId}/cancel`, {});
  return Date.parse(job.started_at!) - Date.parse(job.created_at);
}

async function measureFifo(queue: ReturnType<typeof benchQueue>, batchSize: number) {
  await queue.addBulk(
    Array.from({ length: batchSize }, (_, i) => ({
      name: 'generate-images',
      data: normalizeGeneration(jobParams(i)),
      opts: { jobId: `a-${i}` },
    })),
  );
  await waitUntil(
    async () => (await queue.getCompletedCount()) >= 2 * CONCURRENCY,
    60_000,
    "A's jobs under way",
  );
  const b: Job = await queue.add('generate-images', normalizeGeneration(jobParams(batchSize)), {
    jobId: 'b',
  });
  for (;;) {
    const state = await queue.getJob('b');
    if (state?.processedOn) return state.processedOn - b.timestamp;
    await sleep(100);
  }
}
