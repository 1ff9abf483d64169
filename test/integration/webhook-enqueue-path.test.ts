import { jobEventId, type WebhookEvent } from '@imagen-queue/contract';
import { createEmulator, type Emulator } from '@imagen-queue/imagen';
import {
  createWebhookDispatcher,
  createWebhookSecrets,
  startOutboxDeliverer,
  type WebhookDispatcher,
} from '@imagen-queue/store';
import { createWorkerApp, type WorkerApp } from '@imagen-queue/worker/app';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestJob, inProcessClients, inProcessWorkerConfig } from '../support/in-process.ts';
import { testPrefix } from '../support/tracking.ts';
import { type Receiver, type Respond, startReceiver } from '../support/webhook-receiver.ts';

// The path of a finished job's webhook event: the worker that made the terminal transition
// makes the first delivery attempt itself, right after its BullMQ job completes (off the job's
// path; `settled()` says when that is done), and the delivery queue only carries the retries.
// The delivery queue is paused, so its delivery worker takes nothing: whatever reached a
// receiver, the finishing worker sent, and whatever is in the queue, it put there. The outbox
// drain is only the safety net for a process that died in between (fault-cancel-outbox.test.ts).
// Real Redis, a real emulator over HTTP, real S3, real receivers on 127.0.0.1; the worker of
// apps/worker in-process, built by the same factory its main.ts uses.
const prefix = testPrefix();
const tenant = 'acme';
const SCHEDULE = [200, 200];
const { connection, store, generation } = inProcessClients(prefix, 'webhook-enqueue-path');
const webhooks = createWebhookDispatcher({
  connection,
  prefix,
  retryScheduleMs: SCHEDULE,
  retentionSeconds: 3600,
});
const secrets = createWebhookSecrets(connection, { prefix });
let emulator: Emulator;
let app: WorkerApp;
const receivers: Receiver[] = [];

beforeAll(async () => {
  emulator = await createEmulator({ smallImages: true, apiKey: 'emulator-key' });
  await webhooks.queue.pause();
  const config = inProcessWorkerConfig(prefix, emulator.url, {
    WORKER_CONCURRENCY: '2',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    WEBHOOK_RETRY_SCHEDULE: SCHEDULE.map((ms) => `${ms}ms`).join(','),
  });
  app = createWorkerApp(config);
  await app.start();
});

afterAll(async () => {
  await app?.close();
  for (const receiver of receivers) await receiver.close();
  await generation.close();
  await webhooks.close();
  await emulator?.close();
  await connection.quit();
});

async function receiver(respond?: Respond) {
  const started = await startReceiver(respond);
  receivers.push(started);
  return started;
}

/** Runs one job to its end through the app's worker, and waits for what it left behind. */
async function finishJob(prompt: string, webhookUrl: string) {
  const job = await createTestJob(store, tenant, prompt, webhookUrl);
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
  return { job, eventId: jobEventId(job.id, 1) };
}

/** The transition's outbox entry is settled by the same process, soon after the attempt. */
async function outboxSettled(jobId: string) {
  await vi.waitFor(
    async () =>
      expect(await (connection as Redis).zscore(store.keys.outbox(tenant), jobId)).toBeNull(),
    { timeout: 2_000 },
  );
}

describe('a finished job’s webhook event', () => {
  it('is delivered by the worker that finished the job, with no delivery-queue job, when the receiver answers 2xx', async () => {
    const hooks = await receiver();
    const { job, eventId } = await finishJob('a heron at dawn', hooks.url);

    // Received by the time the worker's background work settled: the queue is paused.
    expect(hooks.received).toHaveLength(1);
    const [delivery] = hooks.received;
    expect(delivery!.id).toBe(eventId);
    expect(hooks.verify(delivery!, await secrets.current(tenant))).toMatchObject({
      type: 'job.succeeded',
      data: { id: job.id, status: 'succeeded' },
    });
    expect(await webhooks.queue.getJob(eventId)).toBeUndefined();
    expect(await webhooks.queue.getJobCountByTypes('wait', 'delayed')).toBe(0);
    // The attempt is in the delivery log the API shows.
    expect(await webhooks.events.get(tenant, eventId)).toMatchObject({
      type: 'job.succeeded',
      status: 'delivered',
    });
    expect(await webhooks.events.attempts(tenant, eventId)).toEqual([
      expect.objectContaining({ status_code: 200, error: null, next_retry_at: null }),
    ]);
    await outboxSettled(job.id);
  });

  it('goes on along the retry schedule through the delivery queue when the first attempt fails', async () => {
    const hooks = await receiver((d, res) => {
      res.writeHead(d.n === 1 ? 503 : 204).end();
    });
    const { job, eventId } = await finishJob('a heron at dusk', hooks.url);

    expect(hooks.received).toHaveLength(1);
    expect(await webhooks.events.get(tenant, eventId)).toMatchObject({ status: 'pending' });
    const [first] = await webhooks.events.attempts(tenant, eventId);
    expect(first).toMatchObject({ status_code: 503 });
    expect(first!.next_retry_at).not.toBeNull();
    // The second attempt is the queue's, due after the schedule's first delay, with the
    // attempts the schedule has left.
    const queued = await webhooks.queue.getJob(eventId);
    expect(queued?.data).toEqual({ tenant, eventId, attemptsBefore: 1 });
    expect(queued?.opts.attempts).toBe(SCHEDULE.length);
    expect(queued?.opts.delay).toBeGreaterThan(0);
    await outboxSettled(job.id);

    await webhooks.queue.resume();
    const [, second] = await hooks.waitFor(2);
    expect(second!.id).toBe(eventId);
    expect(hooks.verify(second!, await secrets.current(tenant))).toMatchObject({
      type: 'job.succeeded',
    });
    await vi.waitFor(
      async () =>
        expect(await webhooks.events.get(tenant, eventId)).toMatchObject({ status: 'delivered' }),
      { timeout: 5_000 },
    );
    const attempts = await webhooks.events.attempts(tenant, eventId);
    expect(attempts.map((a) => a.status_code)).toEqual([503, 204]);
    expect(hooks.received).toHaveLength(2);
  });
});

/** A job run to success by a transition that records its event, as a worker's does. */
async function succeedWithEvent(dispatcher: WebhookDispatcher, prompt: string) {
  const job = await createTestJob(store, tenant, prompt, 'http://127.0.0.1:9/hook');
  await store.transition(tenant, job.id, { from: ['queued'], to: 'running' });
  const done = await store.transition(tenant, job.id, {
    from: ['running'],
    to: 'succeeded',
    result: { images: [], enhanced_prompt: null, filtered: 0 },
    error: null,
    event: dispatcher.eventFor(job, 'succeeded')!,
  });
  return { job, done };
}

describe('the outbox entry of an event whose first attempt the worker makes', () => {
  it('comes due only once that attempt is surely over: no second copy meanwhile, then the drain enqueues the event (a worker that died before sending)', async () => {
    // A dispatcher that would make first attempts within 1 s, whose process "dies" after the
    // transition: the attempt is never made.
    const withFirst = createWebhookDispatcher({
      connection,
      prefix,
      retryScheduleMs: SCHEDULE,
      retentionSeconds: 3600,
      firstAttempt: { withinMs: 1_000, send: async () => 'declined' },
    });
    const drain = startOutboxDeliverer({
      connection,
      prefix,
      dispatcher: withFirst,
      graceMs: 0,
      intervalMs: 60_000,
    });
    try {
      const { job, done } = await succeedWithEvent(withFirst, 'a heron asleep');
      expect(done).toMatchObject({ applied: true, event: 'owed' });
      const eventId = jobEventId(job.id, 1);

      // Even with no grace, the drain leaves it to the attempt that may be on its way, and so
      // does a rerun of the job that finds it finished (a stalled BullMQ job run again).
      expect(await drain.drainOnce()).toBe(0);
      await withFirst.jobFoundFinished(tenant, job.id);
      expect(await webhooks.queue.getJob(eventId)).toBeUndefined();
      // Once that attempt would be over, the drain enqueues the event: nothing is lost.
      await vi.waitFor(async () => expect(await drain.drainOnce()).toBe(1), { timeout: 5_000 });
      expect((await webhooks.queue.getJob(eventId))?.data).toEqual({ tenant, eventId });
    } finally {
      await drain.stop();
      await withFirst.close();
    }
  });
});

describe('the first attempt of an event its transition recorded', () => {
  it('is handed the event as recorded, the same as a read of it would give, with its job', async () => {
    const handed: (WebhookEvent | undefined)[] = [];
    const withFirst = createWebhookDispatcher({
      connection,
      prefix,
      retryScheduleMs: SCHEDULE,
      retentionSeconds: 3600,
      firstAttempt: {
        withinMs: 60_000,
        send: async (_tenant, _eventId, event) => {
          handed.push(event);
          return 'done';
        },
      },
    });
    try {
      const { job, done } = await succeedWithEvent(withFirst, 'a wren on a gate');
      await withFirst.jobFinished({ ...job, status: 'succeeded' }, done);
      const stored = await withFirst.events.get(tenant, jobEventId(job.id, 1));
      expect(stored?.subject).toMatchObject({ kind: 'job', record: { status: 'succeeded' } });
      expect(handed).toEqual([stored]);
    } finally {
      await withFirst.close();
    }
  });
});
