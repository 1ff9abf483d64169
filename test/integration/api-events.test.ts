import { bullPrefix, QUEUES } from '@imagen-queue/contract';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { countObjects, startStack, TEST_KEY } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

type Stack = Awaited<ReturnType<typeof startStack>>;
let stack: Stack;
const prefix = testPrefix();

beforeAll(async () => {
  stack = await startStack({ prefix, emulatorEnv: { EMULATOR_LATENCY_MS: '300' } });
});

const setEmulator = (config: Record<string, unknown>) =>
  fetch(`${stack.emulator.url}/__emulator/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
afterAll(async () => {
  await stack.stop();
});

interface SseEvent {
  event: string;
  data: { id?: string; status: string; counts?: Record<string, number> };
}

/** Reads a whole SSE response (the server closes it after the terminal event). */
async function readEvents(path: string): Promise<SseEvent[]> {
  const response = await fetch(`${stack.api.url}${path}`, {
    headers: { authorization: `Bearer ${TEST_KEY}` },
    signal: AbortSignal.timeout(30_000),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const text = await response.text();
  return text
    .split('\n\n')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return event && data ? { event, data: JSON.parse(data) } : null;
    })
    .filter((e): e is SseEvent => e !== null);
}

describe('Server-Sent Events', () => {
  it('streams a job from queued to succeeded, then closes', async () => {
    const job = await stack.submitJob({ prompt: 'sse job' });
    const events = await readEvents(`/v1/jobs/${job.id}/events`);
    const statuses = events.filter((e) => e.event === 'status').map((e) => e.data.status);
    expect(statuses.at(-1)).toBe('succeeded');
    expect(statuses).toContain('running');
  });

  it('a client that connects after the end gets the final state and the stream closes', async () => {
    const job = await stack.submitJob({ prompt: 'late sse' });
    await readEvents(`/v1/jobs/${job.id}/events`);
    const late = await readEvents(`/v1/jobs/${job.id}/events`);
    expect(late.map((e) => e.data.status)).toEqual(['succeeded']);
  });

  it('streams a batch with live counts until completed', async () => {
    const batchId = await stack.submitBatch([{ prompt: 'b1' }, { prompt: 'b2' }, { prompt: 'b3' }]);
    const events = await readEvents(`/v1/batches/${batchId}/events`);
    const last = events.filter((e) => e.event === 'status').at(-1)!;
    expect(last.data).toMatchObject({ status: 'completed', counts: { succeeded: 3, total: 3 } });
    const finishedJobs = events.filter((e) => e.event === 'job' && e.data.status === 'succeeded');
    expect(finishedJobs).toHaveLength(3);
  });

  it("answers 404 for an unknown or another tenant's job", async () => {
    const response = await fetch(`${stack.api.url}/v1/jobs/job_00000000000000000000000000/events`, {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('POST /v1/images/generations (the provider-compatible endpoint)', () => {
  it("answers the provider's shape when the job finishes within Prefer: wait", async () => {
    const { status, body } = await stack.request('/v1/images/generations', {
      method: 'POST',
      body: JSON.stringify({
        prompt: 'drop-in lighthouse',
        n: 2,
        aspect_ratio: '16:9',
        response_format: 'url',
      }),
    });
    expect(status, JSON.stringify(body)).toBe(200);
    const { data } = body as { data: { url: string; mime_type: string; prompt: string }[] };
    expect(data).toHaveLength(2);
    expect(data[0]!.mime_type).toBe('image/png');
    expect(data[0]!.prompt).toContain('drop-in lighthouse');
    const png = Buffer.from(await (await fetch(data[0]!.url)).arrayBuffer());
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('answers 202 with the job when it does not finish in time', async () => {
    const { status, body } = await stack.request('/v1/images/generations', {
      method: 'POST',
      headers: { prefer: 'wait=0' },
      body: JSON.stringify({ prompt: 'not waiting' }),
    });
    expect(status).toBe(202);
    expect(body).toMatchObject({ status: expect.stringMatching(/queued|running/) });
  });

  it('a refused prompt is a 422 problem naming the prompt; unknown fields are 400', async () => {
    const refused = await stack.request('/v1/images/generations', {
      method: 'POST',
      body: JSON.stringify({ prompt: 'a [blocked] thing' }),
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ errors: [{ path: '/prompt' }] });
    const unknown = await stack.request('/v1/images/generations', {
      method: 'POST',
      body: JSON.stringify({ prompt: 'x', style: 'noir' }),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ errors: [{ path: '/style' }] });
  });
});

describe('cancel of a running job', () => {
  it("aborts the worker's provider call: the job is canceled, frees its slot, stores nothing", async () => {
    await setEmulator({ latencyMs: 30_000 });
    const queue = new Queue(QUEUES.generation, {
      connection: { url: stack.env.REDIS_URL! },
      prefix: bullPrefix(prefix),
    });
    try {
      const job = await stack.submitJob({ prompt: 'a slow one' });
      await waitUntil(
        async () => (await stack.job(job.id)).status === 'running',
        10_000,
        'running',
      );
      const { status, body } = await stack.request(`/v1/jobs/${job.id}/cancel`, { method: 'POST' });
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'canceled' });
      // The provider answers in 30 s: a worker that did not abort would hold the job that long.
      await waitUntil(async () => (await queue.getActiveCount()) === 0, 5_000, 'the abort');
      await stack.workers[0]!.waitForOutput(/aborting canceled job/, 1_000);
      expect(await stack.job(job.id)).toMatchObject({ status: 'canceled', result: null });
      expect(await countObjects(stack.env, `acme/single/${job.id}/`)).toBe(0);
    } finally {
      await setEmulator({ latencyMs: 300 });
      await queue.close();
    }
  });
});
