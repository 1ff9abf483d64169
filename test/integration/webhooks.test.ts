import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { startStack, TEST_KEY } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

// End to end: real API and two real worker processes (each with its own webhook worker),
// the emulator, and receivers on 127.0.0.1 that verify every delivery like a client would.
const OTHER_KEY = 'globex-other-key-1';
let stack: Awaited<ReturnType<typeof startStack>>;
const receivers: Receiver[] = [];

beforeAll(async () => {
  stack = await startStack({
    prefix: testPrefix(),
    workers: 2,
    env: {
      API_KEYS: `acme:${TEST_KEY},globex:${OTHER_KEY}`,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '100ms,100ms,100ms',
      WORKER_CONCURRENCY: '16',
      PROVIDER_INITIAL_RATE_PER_MIN: '100000',
    },
  });
});

afterAll(async () => {
  for (const r of receivers) await r.close();
  await stack?.stop();
});

async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

const asOther = { headers: { authorization: `Bearer ${OTHER_KEY}` } };

async function secret(): Promise<string> {
  const { status, body } = await stack.request('/v1/webhooks/secret');
  expect(status).toBe(200);
  return (body as { key: string }).key;
}

interface EventView {
  id: string;
  type: string;
  status: string;
  attempts: { status_code: number | null; error: string | null; next_retry_at: string | null }[];
}

describe('webhooks end to end', () => {
  it('sends job.succeeded signed with the tenant secret, logged and redeliverable', async () => {
    const key = await secret();
    expect(key).toMatch(/^whsec_/);
    expect(await secret()).toBe(key);
    const r = await receiver();
    const job = await stack.submitJob({ prompt: 'a red kite', webhook_url: r.url });
    const [delivery] = await r.waitFor(1);
    const payload = r.verify(delivery!, key) as {
      type: string;
      timestamp: string;
      data: { id: string; status: string; result: { images: { url: string }[] } };
    };
    expect(payload.type).toBe('job.succeeded');
    expect(payload.data).toMatchObject({ id: job.id, status: 'succeeded' });
    expect(payload.data.result.images[0]!.url).toMatch(/^http/);
    expect(delivery!.id).toBe(`evt_${job.id}_1`);

    let log: { data: EventView[] } = { data: [] };
    await waitUntil(async () => {
      log = (await stack.request(`/v1/jobs/${job.id}/webhooks`)).body as typeof log;
      return log.data[0]?.status === 'delivered';
    });
    expect(log.data).toHaveLength(1);
    expect(log.data[0]).toMatchObject({ id: delivery!.id, type: 'job.succeeded' });
    expect(log.data[0]!.attempts).toEqual([
      expect.objectContaining({ status_code: 200, error: null, next_retry_at: null }),
    ]);

    // Another tenant sees neither the log nor the event.
    expect((await stack.request(`/v1/jobs/${job.id}/webhooks`, asOther)).status).toBe(404);
    const redeliverPath = `/v1/webhooks/${delivery!.id}/redeliver`;
    expect(
      (await stack.request(redeliverPath, { method: 'POST', body: '{}', ...asOther })).status,
    ).toBe(404);

    const again = await stack.request(redeliverPath, { method: 'POST', body: '{}' });
    expect(again.status).toBe(202);
    const [, second] = await r.waitFor(2);
    expect(second!.id).toBe(delivery!.id);
    expect(() => r.verify(second!, key)).not.toThrow();
  });

  it('retries a failing receiver with the same webhook-id until it answers 2xx', async () => {
    const key = await secret();
    const r = await receiver((d, res) => {
      res.writeHead(d.n <= 2 ? 500 : 200).end();
    });
    const job = await stack.submitJob({ prompt: 'a blue kite', webhook_url: r.url });
    const deliveries = await r.waitFor(3);
    expect(deliveries.map((d) => d.id)).toEqual(Array(3).fill(`evt_${job.id}_1`));
    for (const d of deliveries) expect(() => r.verify(d, key)).not.toThrow();
    await waitUntil(async () => {
      const log = (await stack.request(`/v1/jobs/${job.id}/webhooks`)).body as {
        data: EventView[];
      };
      return log.data[0]?.status === 'delivered';
    });
  });

  it('sends job.failed for a job the provider refuses', async () => {
    const key = await secret();
    const r = await receiver();
    const job = await stack.submitJob({ prompt: 'a kite [blocked]', webhook_url: r.url });
    const [delivery] = await r.waitFor(1);
    expect(r.verify(delivery!, key)).toMatchObject({
      type: 'job.failed',
      data: { id: job.id, status: 'failed' },
    });
  });

  it('sends job.canceled when the API cancels a running job', async () => {
    const key = await secret();
    const r = await receiver();
    const emulatorConfig = (body: unknown) =>
      fetch(`${stack.emulator.url}/__emulator/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await emulatorConfig({ latencyMs: [20_000, 20_000] });
    try {
      const job = await stack.submitJob({ prompt: 'a slow kite', webhook_url: r.url });
      await waitUntil(async () => (await stack.job(job.id)).status === 'running', 15_000);
      const canceled = await stack.request(`/v1/jobs/${job.id}/cancel`, {
        method: 'POST',
        body: '{}',
      });
      expect(canceled.status).toBe(200);
      const [delivery] = await r.waitFor(1);
      expect(r.verify(delivery!, key)).toMatchObject({
        type: 'job.canceled',
        data: { id: job.id, status: 'canceled' },
      });
    } finally {
      await emulatorConfig({ latencyMs: [0, 0] });
    }
  });

  it('keeps receivers verifying across a secret rotation', async () => {
    const old = await secret();
    const rotated = await stack.request('/v1/webhooks/secret/rotate', {
      method: 'POST',
      body: '{}',
    });
    expect(rotated.status).toBe(200);
    const fresh = (rotated.body as { key: string }).key;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);
    expect(await secret()).toBe(fresh);
    const r = await receiver();
    await stack.submitJob({ prompt: 'a green kite', webhook_url: r.url });
    const [delivery] = await r.waitFor(1);
    expect(() => r.verify(delivery!, old)).not.toThrow();
    expect(() => r.verify(delivery!, fresh)).not.toThrow();
    // The other tenant's secret is its own.
    const other = await stack.request('/v1/webhooks/secret', asOther);
    expect((other.body as { key: string }).key).not.toBe(fresh);
    expect(() => r.verify(delivery!, (other.body as { key: string }).key)).toThrow();
  });

  it('sends batch.completed exactly once for a 1,000-job batch, with two webhook workers', async () => {
    const key = await secret();
    const r = await receiver();
    const { status, body } = await stack.request('/v1/batches', {
      method: 'POST',
      body: JSON.stringify({
        jobs: Array.from({ length: 1000 }, (_, i) => ({ prompt: `kite ${i}`, seed: i })),
        webhook_url: r.url,
      }),
    });
    expect(status, JSON.stringify(body)).toBe(202);
    const batchId = (body as { id: string }).id;
    await stack.waitForBatch(batchId, 300_000);
    // 1,000 job events (to the batch's URL) and one batch.completed.
    await r.waitFor(1001, 120_000);
    // A sentinel: one more job to the same receiver, submitted after the batch completed. A
    // second batch.completed would have been queued before it, so arrives before it does.
    const sentinel = await stack.submitJob({ prompt: 'the sentinel kite', webhook_url: r.url });
    await waitUntil(
      async () => r.received.some((d) => d.json.data.id === sentinel.id),
      120_000,
      "the sentinel job's event",
    );
    const completed = r.received.filter((d) => d.json.type === 'batch.completed');
    expect(completed).toHaveLength(1);
    expect(r.verify(completed[0]!, key)).toMatchObject({
      type: 'batch.completed',
      data: { id: batchId, status: 'completed', counts: { total: 1000, succeeded: 1000 } },
    });
    expect(completed[0]!.id).toBe(`evt_${batchId}_c1`);
    const jobEvents = r.received.filter(
      (d) => d.json.type === 'job.succeeded' && d.json.data.id !== sentinel.id,
    );
    expect(new Set(jobEvents.map((d) => d.id)).size).toBe(1000);

    const log = (await stack.request(`/v1/batches/${batchId}/webhooks?limit=500`)).body as {
      data: EventView[];
      next_cursor: string | null;
    };
    expect(log.data).toHaveLength(500);
    expect(log.next_cursor).toBe('500');
    expect((await stack.request(`/v1/batches/${batchId}/webhooks`, asOther)).status).toBe(404);
  });
});
