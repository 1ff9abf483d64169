import { type JobRecord, newId, normalizeGeneration } from '@imagen-queue/contract';
import { createLogger, createStorage, loadConfig } from '@imagen-queue/shared';
import {
  createJobStore,
  createRedis,
  createWebhookDispatcher,
  createWebhookEventStore,
  createWebhookSecrets,
} from '@imagen-queue/store';
import { createDeliveryWorker, type DeliveryWorker } from '@imagen-queue/worker/webhook-delivery';
import { createWebhookHttp } from '@imagen-queue/worker/webhook-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceEnv, waitUntil } from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';
import { type Respond, startReceiver } from '../support/webhook-receiver.ts';

// The delivery worker in this process against real Redis, and real receivers on 127.0.0.1.
const prefix = testPrefix();
const config = loadConfig(
  serviceEnv(prefix, {
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    WEBHOOK_RETRY_SCHEDULE: '100ms,100ms,100ms',
    LOG_LEVEL: 'silent',
  }),
);
const logger = createLogger({ level: 'silent', name: 'webhook-test', pretty: false });
const connection = createRedis(config.redis, { name: 'webhook-test', role: 'worker' });
const storage = createStorage(config.s3);
const jobs = createJobStore(connection, { prefix, retentionSeconds: 3600 });
const events = createWebhookEventStore(connection, { prefix, retentionSeconds: 3600 });
const secrets = createWebhookSecrets(connection, { prefix });
const dispatcher = createWebhookDispatcher({
  connection,
  prefix,
  retryScheduleMs: config.webhooks.retryScheduleMs,
  retentionSeconds: 3600,
});
// A short timeout so the hanging receiver costs a moment, not 10 s.
const http = createWebhookHttp({ allowPrivateNetworks: true, timeoutMs: 500 });
const workers: DeliveryWorker[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  // Two delivery workers, as two worker processes would run them.
  for (let i = 0; i < 2; i++) {
    const worker = createDeliveryWorker({
      config,
      connection,
      logger,
      events,
      secrets,
      storage,
      http,
    });
    void worker.run();
    workers.push(worker);
  }
});

afterAll(async () => {
  for (const close of closers) await close();
  await Promise.all(workers.map((w) => w.close()));
  await dispatcher.close();
  await http.close();
  storage.close();
  await connection.quit();
});

async function receiver(respond?: Respond) {
  const r = await startReceiver(respond);
  closers.push(() => r.close());
  return r;
}

/** A job moved to `succeeded` through the real transition script, then handed to webhooks. */
async function finishJob(url: string, tenant = 'acme'): Promise<JobRecord> {
  const job = await jobs.create({
    id: newId('job'),
    tenant,
    batchId: null,
    request: normalizeGeneration({ prompt: 'a lighthouse' }),
    metadata: { order: 7 },
    webhookUrl: url,
    priority: 0,
  });
  await jobs.transition(tenant, job.id, { from: ['queued'], to: 'running', countAttempt: true });
  const outcome = await jobs.transition(tenant, job.id, {
    from: ['running'],
    to: 'succeeded',
    result: { images: [], enhanced_prompt: null, filtered: 0 },
    error: null,
  });
  const finished = { ...job, status: 'succeeded' as const };
  await dispatcher.jobFinished(finished, outcome);
  return finished;
}

/**
 * "Nothing more arrived" shown by a later event that must come after: a job whose receiver
 * fails every attempt but the last, so its delivery runs the whole retry schedule, started
 * after the event under test. Any retry of that event was due before the sentinel's last try.
 */
async function sentinelAfterWholeSchedule(): Promise<void> {
  const tries = config.webhooks.retryScheduleMs.length + 1;
  const sentinel = await receiver((d, res) => {
    res.writeHead(d.n < tries ? 503 : 204).end();
  });
  const job = await finishJob(sentinel.url);
  await waitUntil(async () => (await eventOf(job.id)).event.status === 'delivered');
  expect(sentinel.received).toHaveLength(tries);
}

async function eventOf(jobId: string, tenant = 'acme') {
  const [id] = await events.list(tenant, { jobId }, 0, 10);
  const event = await events.get(tenant, id!);
  return { event: event!, attempts: await events.attempts(tenant, id!) };
}

describe('webhook delivery', () => {
  it('delivers a signed job.succeeded that standardwebhooks verifies', async () => {
    const r = await receiver();
    const job = await finishJob(r.url);
    const [delivery] = await r.waitFor(1);
    const secret = await secrets.current('acme');
    expect(secret).toMatch(/^whsec_/);
    expect(r.verify(delivery!, secret)).toMatchObject({
      type: 'job.succeeded',
      data: { id: job.id, status: 'succeeded', metadata: { order: 7 } },
    });
    expect(delivery!.id).toBe(`evt_${job.id}_1`);
    expect(new Date(delivery!.json.timestamp).toISOString()).toBe(delivery!.json.timestamp);
    await waitUntil(async () => (await eventOf(job.id)).event.status === 'delivered');
    const { attempts } = await eventOf(job.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status_code: 200, error: null, next_retry_at: null });
  });

  it('retries 500, 500 and delivers on attempt 3 with the same webhook-id', async () => {
    const r = await receiver((d, res) => {
      res.writeHead(d.n <= 2 ? 500 : 200).end();
    });
    const job = await finishJob(r.url);
    const deliveries = await r.waitFor(3);
    expect(new Set(deliveries.map((d) => d.id))).toEqual(new Set([`evt_${job.id}_1`]));
    const secret = await secrets.current('acme');
    for (const d of deliveries) expect(() => r.verify(d, secret)).not.toThrow();
    await waitUntil(async () => (await eventOf(job.id)).event.status === 'delivered');
    const { attempts } = await eventOf(job.id);
    expect(attempts.map((a) => a.status_code)).toEqual([500, 500, 200]);
    expect(attempts[0]!.next_retry_at).not.toBeNull();
    expect(attempts[2]!.next_retry_at).toBeNull();
  });

  it('times out a receiver that hangs and retries', async () => {
    const r = await receiver((d, res) => {
      if (d.n === 1) return; // never answers
      res.writeHead(204).end();
    });
    const job = await finishJob(r.url);
    await r.waitFor(2);
    await waitUntil(async () => (await eventOf(job.id)).event.status === 'delivered');
    const { attempts } = await eventOf(job.id);
    expect(attempts[0]).toMatchObject({ status_code: null, error: 'timeout' });
    expect(attempts[1]).toMatchObject({ status_code: 204 });
  });

  it.each([429, 503])('honours Retry-After on %i', async (status) => {
    const r = await receiver((d, res) => {
      if (d.n === 1) res.writeHead(status, { 'retry-after': '1' }).end();
      else res.writeHead(200).end();
    });
    const job = await finishJob(r.url);
    await waitUntil(async () => (await eventOf(job.id)).event.status === 'delivered');
    const { attempts } = await eventOf(job.id);
    expect(attempts.map((a) => a.status_code)).toEqual([status, 200]);
    // Scheduled a second out, as the receiver asked, not the schedule's 100 ms.
    const first = attempts[0]!;
    expect(Date.parse(first.next_retry_at!) - Date.parse(first.at)).toBeGreaterThanOrEqual(1000);
    expect(Date.parse(attempts[1]!.at) - Date.parse(first.at)).toBeGreaterThanOrEqual(1000);
  });

  it('stops retrying on 410 Gone', async () => {
    const r = await receiver((_d, res) => {
      res.writeHead(410).end();
    });
    const job = await finishJob(r.url);
    await r.waitFor(1);
    await waitUntil(async () => (await eventOf(job.id)).event.status === 'stopped');
    await sentinelAfterWholeSchedule();
    expect(r.received).toHaveLength(1);
    expect((await eventOf(job.id)).attempts).toHaveLength(1);
  });

  it('keeps an exhausted event, visible as failed with every attempt', async () => {
    const r = await receiver((_d, res) => {
      res.writeHead(502).end();
    });
    const job = await finishJob(r.url);
    await waitUntil(async () => (await eventOf(job.id)).event.status === 'failed');
    const { attempts } = await eventOf(job.id);
    expect(attempts.map((a) => a.status_code)).toEqual([502, 502, 502, 502]);
    expect(r.received).toHaveLength(4);
  });

  it('does not follow a redirect to a private address', async () => {
    const internal = await receiver();
    const r = await receiver((d, res) => {
      if (d.n === 1) res.writeHead(302, { location: internal.url }).end();
      else res.writeHead(200).end();
    });
    const job = await finishJob(r.url);
    await waitUntil(async () => (await eventOf(job.id)).event.status === 'delivered');
    const { attempts } = await eventOf(job.id);
    expect(attempts.map((a) => a.status_code)).toEqual([302, 200]);
    expect(internal.received).toHaveLength(0);
  });

  it('reads only the start of a 100 MB answer, memory staying flat', async () => {
    let sent = 0;
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const r = await receiver(async (_d, res) => {
      res.writeHead(200, { 'content-length': String(100 * chunk.length) });
      for (let i = 0; i < 100 && !res.destroyed; i++) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          await new Promise((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          });
        }
      }
      res.end();
    });
    const before = process.memoryUsage().rss;
    const job = await finishJob(r.url);
    await waitUntil(async () => (await eventOf(job.id)).event.status === 'delivered');
    const grown = process.memoryUsage().rss - before;
    expect(sent).toBeLessThan(100 * chunk.length);
    expect(grown).toBeLessThan(50 * 1024 * 1024);
    expect(r.received).toHaveLength(1);
  });

  it('signs with both secrets for a day after a rotation', async () => {
    const r = await receiver();
    const tenant = 'rotating';
    const old = await secrets.current(tenant);
    const fresh = await secrets.rotate(tenant);
    expect(fresh).not.toBe(old);
    expect(await secrets.current(tenant)).toBe(fresh);
    await finishJob(r.url, tenant);
    const [delivery] = await r.waitFor(1);
    expect(delivery!.signature.split(' ')).toHaveLength(2);
    // A receiver still holding the old secret and one holding the new one both accept it.
    expect(() => r.verify(delivery!, old)).not.toThrow();
    expect(() => r.verify(delivery!, fresh)).not.toThrow();
    expect(() => r.verify(delivery!, `whsec_${Buffer.alloc(32, 1).toString('base64')}`)).toThrow();
  });

  it('delivers an event once however often it is enqueued, and redelivers with the same id', async () => {
    const r = await receiver();
    const job = await finishJob(r.url);
    // A rerun after a crash: the same transition reported again, and the job found finished.
    await dispatcher.jobFinished(job, { terminalCount: 1, batchCompletion: 0 });
    await dispatcher.jobFoundFinished('acme', job.id);
    await r.waitFor(1);
    await waitUntil(async () => (await eventOf(job.id)).event.status === 'delivered');
    await dispatcher.jobFoundFinished('acme', job.id);
    await sentinelAfterWholeSchedule();
    expect(r.received).toHaveLength(1);

    expect(await dispatcher.redeliver('acme', `evt_${job.id}_1`)).toBe('queued');
    const [first, second] = await r.waitFor(2);
    expect(second!.id).toBe(first!.id);
    // Another tenant cannot redeliver (or see) it.
    expect(await dispatcher.redeliver('other', `evt_${job.id}_1`)).toBe('missing');
  });
});

describe('the SSRF guard at connect time', () => {
  it('refuses a name that resolves to loopback, before any request is sent', async () => {
    const r = await receiver();
    const guarded = createWebhookHttp({
      allowPrivateNetworks: false,
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    try {
      const result = await guarded.send(`http://hooks.rebind.example.com:${r.port}/hook`, {}, '{}');
      expect(result.statusCode).toBeNull();
      expect(result.error).toMatch(/loopback/);
      const literal = await guarded.send(r.url, {}, '{}');
      expect(literal.error).toMatch(/refused/);
      expect(r.received).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });
});
