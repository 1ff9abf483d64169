import { bullPrefix, QUEUE_STREAMS, QUEUES, redisKeys } from '@imagen-queue/contract';
import { FINISHED_KEPT } from '@imagen-queue/shared';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

// Every key the system creates for a job, a batch, an event, an Idempotency-Key or a webhook
// delivery either expires or belongs to a family whose size is bounded by a count, not by the
// traffic: after 200 jobs and after 600, the keys without an expiry are the same number.
const prefix = testPrefix();
const bull = bullPrefix(prefix);
const keys = redisKeys(prefix);
const RETENTION_DAYS = 2;
/** The longest TTL any key may have: the list index's, a day past the job retention. */
const MAX_TTL_S = (RETENTION_DAYS + 1) * 86_400;

let stack: Awaited<ReturnType<typeof startStack>>;
let receiver: Receiver;
let redis: Redis;
let webhookQueue: Queue;
let generationQueue: Queue;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startStack({
    prefix,
    emulatorEnv: { EMULATOR_LATENCY_MS: '0', EMULATOR_SMALL_IMAGES: 'true' },
    env: {
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WORKER_CONCURRENCY: '32',
      PROVIDER_INITIAL_RATE_PER_MIN: '100000',
      API_RATE_LIMIT_PER_MIN: '100000',
      JOB_RETENTION_DAYS: String(RETENTION_DAYS),
    },
  });
  redis = new Redis(stack.env.REDIS_URL!);
  const url = new URL(stack.env.REDIS_URL!);
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  const options = { connection, prefix: bull, streams: QUEUE_STREAMS };
  webhookQueue = new Queue(QUEUES.webhooks, options);
  generationQueue = new Queue(QUEUES.generation, options);
}, 60_000);

afterAll(async () => {
  await webhookQueue?.close();
  await generationQueue?.close();
  redis?.disconnect();
  await stack?.stop();
  await receiver?.close();
});

let seed = 0;
let deliveries = 0;

/**
 * `n` jobs of two images with webhooks: a batch of n - 10 (with an Idempotency-Key) and 10 single
 * jobs (each with one), half of those exact repeats of batch jobs (served from the image cache).
 * Resolves once every job is finished, every event delivered and nothing is left to do.
 */
async function runJobs(n: number, round: string) {
  const params = (i: number) => ({ prompt: `a kite ${i}`, seed: i, num_images: 2 });
  const first = seed;
  seed += n - 10;
  const batch = await stack.request('/v1/batches', {
    method: 'POST',
    headers: { 'idempotency-key': `batch-${round}` },
    body: JSON.stringify({
      jobs: Array.from({ length: n - 10 }, (_, i) => params(first + i)),
      webhook_url: receiver.url,
    }),
  });
  expect(batch.status, JSON.stringify(batch.body)).toBe(202);
  const batchId = (batch.body as { id: string }).id;
  await stack.waitForBatch(batchId, 300_000);
  const singles: string[] = [];
  for (let i = 0; i < 10; i++) {
    const response = await stack.request('/v1/jobs', {
      method: 'POST',
      headers: { 'idempotency-key': `single-${round}-${i}` },
      body: JSON.stringify({
        ...(i < 5 ? params(first + i) : params(100_000 + seed + i)),
        webhook_url: receiver.url,
      }),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    singles.push((response.body as { id: string }).id);
  }
  await waitUntil(
    async () => {
      const jobs = await Promise.all(singles.map((id) => stack.job(id)));
      return jobs.every((job) => job.status === 'succeeded');
    },
    60_000,
    'the single jobs',
  );
  // One event per job and the batch's: distinct webhook-ids.
  deliveries += n + 1;
  await waitUntil(
    async () => new Set(receiver.received.map((d) => d.id)).size >= deliveries,
    120_000,
    'every webhook',
  );
  const open = async (queue: Queue) => {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };
  await waitUntil(
    async () =>
      (await open(webhookQueue)) === 0 &&
      (await open(generationQueue)) === 0 &&
      (await redis.exists(keys.outbox('acme'), keys.accepting('acme'))) === 0,
    60_000,
    'the queues and the outbox drained',
  );
}

/**
 * The families that live without an expiry, each with what bounds it, checked on the spot.
 * Anything else without a TTL fails the test.
 */
async function boundedFamily(key: string): Promise<string | null> {
  const queue = new RegExp(`^\\{${prefix}\\}:(generation|webhooks):(.+)$`).exec(key);
  if (queue) {
    const [, name, rest] = queue;
    // BullMQ's per-queue bookkeeping: one key each, whatever the traffic.
    if (['meta', 'id', 'marker', 'pc', 'stalled'].includes(rest!)) return `bullmq ${rest}`;
    if (rest === 'events') {
      // BullMQ trims its event stream to ~QUEUE_STREAMS.events.maxLen (an approximate MAXLEN).
      const cap = QUEUE_STREAMS.events.maxLen;
      expect(await redis.xlen(key)).toBeLessThanOrEqual(cap + 200);
      return `bullmq events (XLEN ≤ ~${cap})`;
    }
    if (rest === 'completed') {
      expect(await redis.zcard(key)).toBeLessThanOrEqual(FINISHED_KEPT.completed);
      return `bullmq completed (ZCARD ≤ ${FINISHED_KEPT.completed})`;
    }
    if (rest === 'failed') {
      expect(await redis.zcard(key)).toBeLessThanOrEqual(FINISHED_KEPT.failed);
      return `bullmq failed (ZCARD ≤ ${FINISHED_KEPT.failed})`;
    }
    // A finished job's entry: kept only while it is among the completed or failed ones above.
    const kept =
      (await redis.zscore(`${bull}:${name}:completed`, rest!)) !== null ||
      (await redis.zscore(`${bull}:${name}:failed`, rest!)) !== null;
    expect(kept, `${key} is a BullMQ job that is neither completed nor failed`).toBe(true);
    return `bullmq finished job (≤ ${FINISHED_KEPT.completed} + ${FINISHED_KEPT.failed})`;
  }
  if (key === `${bull}:fair`) {
    // The fair-share clock: a field or two per tenant.
    expect(await redis.hlen(key)).toBeLessThanOrEqual(4);
    return 'fair share (per tenant)';
  }
  if (key === keys.acceptingTenants() || key === keys.outboxTenants()) {
    expect(await redis.scard(key)).toBeLessThanOrEqual(1);
    return 'tenant sets (per configured tenant)';
  }
  if (key === keys.webhookSecret('acme')) return 'webhook secret (per tenant)';
  if (key.startsWith(`${prefix}:cost-average:`)) return 'cost average (per model)';
  if (key.startsWith(`${prefix}:{limiter}:`)) {
    if ((await redis.type(key)) === 'zset') expect(await redis.zcard(key)).toBeLessThan(10_000);
    return 'provider limiter (per model)';
  }
  if (key === `${prefix}:{workers}`) {
    expect(await redis.scard(key)).toBeLessThanOrEqual(stack.workers.length);
    return 'live workers';
  }
  return null;
}

interface Census {
  withoutTtl: string[];
  families: Map<string, number>;
  total: number;
}

async function census(): Promise<Census> {
  const found: string[] = [];
  for (const pattern of [`${prefix}:*`, `${bull}:*`]) {
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
  }
  const withoutTtl: string[] = [];
  const families = new Map<string, number>();
  const unbounded: string[] = [];
  for (const key of found) {
    // PTTL, not TTL: TTL rounds a key's last half second down to 0.
    const pttl = await redis.pttl(key);
    if (pttl === -2) continue; // expired between SCAN and PTTL
    if (pttl >= 0) {
      const ttl = pttl / 1000;
      // What belongs to a job, batch, event, delivery or Idempotency-Key goes with the job
      // retention. (Others expire on clocks of their own: a tenant's usage of a day is its bill,
      // kept 400 days; the provider limiter's pace per model, a week.)
      if (/:\{t:[^}]+\}:(job|batch|webhook|idem|image-cache|index):/.test(key))
        expect(ttl, `${key} expires later than its job`).toBeLessThanOrEqual(MAX_TTL_S);
      continue;
    }
    withoutTtl.push(key);
    const family = await boundedFamily(key);
    if (family === null) unbounded.push(key);
    else families.set(family, (families.get(family) ?? 0) + 1);
  }
  expect(unbounded, 'keys with neither an expiry nor a count bound').toEqual([]);
  return { withoutTtl: withoutTtl.sort(), families, total: found.length };
}

/** Keys without expiry that are not BullMQ's finished entries. */
function withoutCountBound(census: Census): number {
  const finished = [...census.families]
    .filter(([family]) => family.startsWith('bullmq finished job'))
    .reduce((sum, [, count]) => sum + count, 0);
  return census.withoutTtl.length - finished;
}

describe('retention', () => {
  it('every key expires or is bounded by count, and those without expiry do not grow with jobs', async () => {
    await runJobs(200, 'first');
    const after200 = await census();
    await runJobs(400, 'second');
    const after600 = await census();
    console.log(
      `keys: ${after200.total} after 200 jobs, ${after600.total} after 600; without TTL: ` +
        `${after200.withoutTtl.length} → ${after600.withoutTtl.length}`,
      Object.fromEntries(after600.families),
    );
    // BullMQ's finished entries are bounded by count (checked above): each queue's fill up to
    // their cap at the pace of its own traffic, and the delivery queue now carries only retries
    // and the events a worker's first attempt does not send, so it may still be filling.
    expect(withoutCountBound(after600)).toBe(withoutCountBound(after200));
    // The job records, events and deliveries are there, each with an expiry.
    expect(after600.total).toBeGreaterThan(600);
  }, 600_000);
});
