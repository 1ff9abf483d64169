import { normalizeGeneration, QUEUE_STREAMS, QUEUES } from '@imagen-queue/contract';
import { startReceiver as startWebhookReceiver } from '@imagen-queue/dev-stack';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type ApiClient, jobParams, NO_PROVIDER, stackEnv, startBenchApi } from '../lib/api.ts';
import type { Figure } from '../lib/figure.ts';
import { startEmulator, startWorker } from '../lib/processes.ts';
import { benchQueue } from '../lib/queues.ts';
import { dropPrefix } from '../lib/services.ts';
import { round, waitUntil } from '../lib/stats.ts';

const QUEUED_PREFIX = 'bench-bytes-queued';
const BULLMQ_PREFIX = 'bench-bytes-bullmq';
const FINISHED_PREFIX = 'bench-bytes-finished';
const QUEUED_JOBS = 10_000;
const WARMUP_JOBS = 10;
const showFamilies = process.env.BENCH_REDIS_FAMILIES === '1';

/**
 * Redis `used_memory` after a settle: jemalloc's dirty pages purged (MEMORY PURGE, where the
 * allocator has it), read once nothing of ours is in flight (the callers wait for that first).
 */
async function usedMemory(redis: Redis): Promise<number> {
  await redis.call('MEMORY', 'PURGE').catch(() => undefined);
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

/**
 * Where the bytes of a prefix are, by key family (ids replaced by `*`), largest first: logged
 * with BENCH_REDIS_FAMILIES=1 to see what to trim.
 */
async function families(redis: Redis, prefix: string): Promise<string> {
  const sums = new Map<string, { keys: number; bytes: number }>();
  for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const family = key
          .replace(/(job|bat|evt)_[0-9a-z_]+/g, '$1_*')
          .replace(/:[0-9a-f]{64}$/, ':<sha>')
          .replace(/:\d+$/, ':<n>');
        const bytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
        const sum = sums.get(family) ?? { keys: 0, bytes: 0 };
        sums.set(family, { keys: sum.keys + 1, bytes: sum.bytes + bytes });
      }
    } while (cursor !== '0');
  }
  return [...sums]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, 25)
    .map(([family, { keys, bytes }]) => `  ${family}: ${keys} keys, ${bytes} B`)
    .join('\n');
}

/** One stored record of each kind, to see what its fields cost. */
async function samples(redis: Redis, prefix: string): Promise<string> {
  const lines: string[] = [];
  for (const pattern of [`${prefix}:*:job:job_*`, `${prefix}:*:webhook:evt_*`]) {
    const [, [key]] = await redis.scan('0', 'MATCH', pattern, 'COUNT', 5000);
    if (!key) continue;
    const bytes = await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    lines.push(`  ${key} (${bytes} B): ${JSON.stringify(await redis.hgetall(key))}`);
  }
  return lines.join('\n');
}

async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/** One batch through our API; resolves once it is accepted whole (the 202). */
async function submitBatch(client: ApiClient, jobs: Record<string, unknown>[], extra = {}) {
  const { status, body } = await client.post('/v1/batches', { jobs, ...extra });
  if (status !== 202)
    throw new Error(`POST /v1/batches answered ${status}: ${JSON.stringify(body).slice(0, 200)}`);
  return (body as { id: string }).id;
}

async function batchDone(client: ApiClient, id: string): Promise<boolean> {
  const { body } = await client.get(`/v1/batches/${id}`);
  const status = (body as { status?: string } | null)?.status;
  return status === 'completed' || status === 'canceled';
}

/** Waiting, prioritized, delayed and active entries of a queue: 0 once it has nothing to do. */
async function open(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export const redisBytes: Figure = {
  key: 'redis_bytes_per_job',
  what: `Redis used_memory per job: queued (a ${QUEUED_JOBS.toLocaleString('en')}-job batch, no worker) vs BullMQ's addBulk of the same payloads; finished (two images, webhooks on, once the batch, its webhooks and its jobs' minute-long SSE streams are done)`,
  goal: 'ratio ≤ 2, finished_bytes ≤ 3072',
  async run({ services, settings, log }) {
    const { redis } = services;
    const params = Array.from({ length: QUEUED_JOBS }, (_, i) => jobParams(i));

    // Queued: our API accepts one 10,000-job batch; nothing consumes it.
    const queuedEnv = stackEnv(services, QUEUED_PREFIX, NO_PROVIDER);
    const api = await startBenchApi(queuedEnv);
    const ourQueue = benchQueue(services.redisUrl, QUEUED_PREFIX);
    let queuedBytes: number;
    try {
      await submitBatch(api.client, params.slice(0, WARMUP_JOBS));
      await waitUntil(async () => (await open(ourQueue)) === WARMUP_JOBS, 30_000, 'warm-up');
      const before = await usedMemory(redis);
      await submitBatch(api.client, params);
      await waitUntil(
        async () => (await open(ourQueue)) === WARMUP_JOBS + QUEUED_JOBS,
        60_000,
        'the batch queued',
      );
      queuedBytes = ((await usedMemory(redis)) - before) / QUEUED_JOBS;
      if (showFamilies) log(`queued, by family:\n${await families(redis, QUEUED_PREFIX)}`);
    } finally {
      await api.stop();
      await ourQueue.close();
    }
    await dropPrefix(redis, QUEUED_PREFIX);

    // BullMQ's own cost: the same payloads, added raw.
    const bullConnection = redis.duplicate();
    const bull = new Queue(QUEUES.generation, {
      connection: bullConnection,
      prefix: `{${BULLMQ_PREFIX}}`,
    });
    let bullmqBytes: number;
    try {
      const add = (from: number, to: number) =>
        bull.addBulk(
          params
            .slice(from, to)
            .map((p) => ({ name: 'generate-images', data: normalizeGeneration(p) })),
        );
      await add(0, WARMUP_JOBS);
      const before = await usedMemory(redis);
      for (let i = 0; i < QUEUED_JOBS; i += 1000) await add(i, i + 1000);
      bullmqBytes = ((await usedMemory(redis)) - before) / QUEUED_JOBS;
      if (showFamilies) log(`BullMQ, by family:\n${await families(redis, BULLMQ_PREFIX)}`);
    } finally {
      await bull.close();
      bullConnection.disconnect();
    }
    await dropPrefix(redis, BULLMQ_PREFIX);

    // Finished: a batch of two-image jobs with a webhook, run by a worker, every event delivered.
    const finishedJobs = settings.redisBytes.finishedJobs;
    const emulator = await startEmulator({
      EMULATOR_LATENCY_MS: '0',
      EMULATOR_SMALL_IMAGES: 'true',
    });
    const receiver = await startWebhookReceiver();
    const env = stackEnv(services, FINISHED_PREFIX, emulator.url, { WORKER_CONCURRENCY: '32' });
    const finishedApi = await startBenchApi(env);
    const worker = await startWorker(env);
    const webhooksConnection = redis.duplicate();
    const webhooks = new Queue(QUEUES.webhooks, {
      connection: webhooksConnection,
      prefix: `{${FINISHED_PREFIX}}`,
      streams: QUEUE_STREAMS,
    });
    let finishedBytes: number;
    try {
      const finishBatch = async (jobs: Record<string, unknown>[]) => {
        const deliveriesBefore = new Set(receiver.received.map((d) => d.id)).size;
        const id = await submitBatch(finishedApi.client, jobs, {
          webhook_url: receiver.url,
        });
        await waitUntil(() => batchDone(finishedApi.client, id), 600_000, 'the batch', 250);
        // Every job's event and the batch's: distinct webhook-ids received.
        await waitUntil(
          async () =>
            new Set(receiver.received.map((d) => d.id)).size >= deliveriesBefore + jobs.length + 1,
          120_000,
          'every webhook',
        );
        await waitUntil(
          async () => (await open(webhooks)) === 0,
          60_000,
          'the webhook queue drained',
        );
      };
      const twoImages = (i: number) => jobParams(i, { num_images: 2 });
      await finishBatch(Array.from({ length: WARMUP_JOBS }, (_, i) => twoImages(QUEUED_JOBS + i)));
      const before = await usedMemory(redis);
      await finishBatch(Array.from({ length: finishedJobs }, (_, i) => twoImages(i)));
      // A job's SSE stream outlives its end by a minute (for followers still reading it); what
      // a finished job costs for its retention is measured once those are gone.
      await waitUntil(
        async () => (await countKeys(redis, `${FINISHED_PREFIX}:*:job:*:events`)) === 0,
        120_000,
        "the finished jobs' SSE streams to expire",
        1000,
      );
      finishedBytes = ((await usedMemory(redis)) - before) / finishedJobs;
      if (showFamilies) {
        log(`finished, by family:\n${await families(redis, FINISHED_PREFIX)}`);
        log(`finished, samples:\n${await samples(redis, FINISHED_PREFIX)}`);
      }
    } finally {
      await Promise.all([worker.stop(), finishedApi.stop()]);
      await Promise.all([emulator.stop(), receiver.close(), webhooks.close()]);
      webhooksConnection.disconnect();
    }
    await dropPrefix(redis, FINISHED_PREFIX);

    const ratio = queuedBytes / bullmqBytes;
    log(
      `redis_bytes_per_job: queued ${Math.round(queuedBytes)} B vs BullMQ ${Math.round(bullmqBytes)} B (×${ratio.toFixed(2)}), finished ${Math.round(finishedBytes)} B over ${finishedJobs} jobs`,
    );
    return {
      values: {
        queued_bytes: round(queuedBytes, 0),
        bullmq_queued_bytes: round(bullmqBytes, 0),
        ratio: round(ratio),
        finished_bytes: round(finishedBytes, 0),
      },
      goalMet: ratio <= 2 && finishedBytes <= 3072,
      note: `finished over a ${finishedJobs}-job batch`,
    };
  },
};
