import type { Job } from '@imagen-queue/contract';
import { freePort } from '@imagen-queue/dev-stack';
import type { BilledCall } from '@imagen-queue/imagen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { startStack, TEST_KEY } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

// Known secret values: none of them may ever appear in a log line.
const ADMIN_KEY = 'admin-secret-9f3c1b7e2d';
const PROVIDER_KEY = 'provider-secret-4a8e6c0f';
const WRONG_KEY = 'wrong-secret-77aa55cc';
const REQUEST_ID = 'req-observability-0001';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `labels`. */
function sum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

describe('operability: metrics, admin routes, heartbeats and log redaction', () => {
  const prefix = testPrefix();
  let stack: Awaited<ReturnType<typeof startStack>>;
  let metricsPort: number;
  const jobs: Job[] = [];

  const waitTerminal = async (id: string): Promise<Job> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = await stack.job(id);
      if (['succeeded', 'failed', 'canceled'].includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} not terminal: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  };
  const admin = (path: string, authorization?: string) =>
    fetch(`${stack.api.url}${path}`, authorization ? { headers: { authorization } } : {});

  beforeAll(async () => {
    metricsPort = await freePort();
    stack = await startStack({
      prefix,
      emulatorEnv: { EMULATOR_LATENCY_MS: '20' },
      env: {
        ADMIN_API_KEY: ADMIN_KEY,
        IMAGEN_API_KEY: PROVIDER_KEY,
        WORKER_METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'debug',
        // Pinned, so the heartbeat's concurrency is a known value (adaptive, it follows the pace).
        WORKER_CONCURRENCY: '4',
      },
    });
    // Three that succeed (one of them with two images), one the provider refuses for good.
    const submissions = [
      { prompt: 'a red kite over dunes', seed: 1 },
      { prompt: 'a tide pool at noon', seed: 2, num_images: 2 },
      { prompt: 'a paper boat', seed: 3 },
      { prompt: 'a forbidden picture [blocked]', seed: 4 },
    ];
    for (const [index, params] of submissions.entries()) {
      const response = await stack.request('/v1/jobs', {
        method: 'POST',
        body: JSON.stringify(params),
        headers: index === 0 ? { 'x-request-id': REQUEST_ID } : {},
      });
      expect(response.status, JSON.stringify(response.body)).toBe(202);
      jobs.push(response.body as Job);
    }
    for (const [index, job] of jobs.entries()) jobs[index] = await waitTerminal(job.id);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('the jobs ran as submitted', () => {
    expect(jobs.map((job) => job.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'failed',
    ]);
    expect(jobs[3]!.error?.code).toBe('content_filtered');
  });

  it("the worker's metrics port counts finished jobs, provider calls and stored images", async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const samples = parseMetrics(await response.text());

    expect(
      sum(samples, 'imagen_queue_jobs_finished_total', { outcome: 'succeeded', code: '' }),
    ).toBe(3);
    expect(
      sum(samples, 'imagen_queue_jobs_finished_total', {
        outcome: 'failed',
        code: 'content_filtered',
      }),
    ).toBe(1);
    expect(sum(samples, 'imagen_queue_images_stored_total')).toBe(4);
    const storedBytes = jobs
      .flatMap((job) => job.result?.images ?? [])
      .reduce((total, image) => total + image.bytes, 0);
    expect(sum(samples, 'imagen_queue_image_bytes_stored_total')).toBe(storedBytes);
    expect(sum(samples, 'imagen_queue_provider_request_duration_seconds_count')).toBe(4);
    expect(
      sum(samples, 'imagen_queue_provider_request_duration_seconds_count', { outcome: 'ok' }),
    ).toBe(3);
    expect(sum(samples, 'imagen_queue_provider_rate_limit_per_minute')).toBeGreaterThan(0);
    expect(sum(samples, 'imagen_queue_jobs', { queue: 'generation', state: 'completed' })).toBe(3);
    expect(sum(samples, 'imagen_queue_jobs', { queue: 'generation', state: 'failed' })).toBe(1);
    expect(
      samples.some((s) => s.name === 'imagen_queue_jobs' && s.labels.state === 'waiting'),
    ).toBe(true);
  });

  it("the worker's cost counters equal what the emulator billed, per model", async () => {
    const samples = parseMetrics(
      await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    );
    const { data: calls } = (await (
      await fetch(`${stack.emulator.url}/__emulator/calls`)
    ).json()) as { data: BilledCall[] };
    const billedUsd = calls.reduce((total, call) => total + call.usd, 0);
    const billedCredits = calls.reduce((total, call) => total + call.credits, 0);
    // Three answered calls at the emulator's default price; the refusal is free.
    expect(billedUsd).toBeGreaterThan(0);
    const model = jobs[0]!.request.model;
    expect(jobs.every((job) => job.request.model === model)).toBe(true);
    const labelled = (name: string) =>
      samples.filter((s) => s.name === name).map((s) => s.labels.model);
    expect(labelled('imagen_queue_provider_cost_usd_total')).toEqual([model]);
    expect(labelled('imagen_queue_provider_credits_total')).toEqual([model]);
    expect(sum(samples, 'imagen_queue_provider_cost_usd_total', { model })).toBeCloseTo(
      billedUsd,
      9,
    );
    expect(sum(samples, 'imagen_queue_provider_credits_total', { model })).toBeCloseTo(
      billedCredits,
      6,
    );
  });

  it('the API /metrics reports queue states and request latency by route pattern', async () => {
    const response = await fetch(`${stack.api.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const samples = parseMetrics(text);
    expect(sum(samples, 'imagen_queue_jobs', { queue: 'generation', state: 'completed' })).toBe(3);
    expect(
      sum(samples, 'imagen_queue_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/jobs',
        status: '202',
      }),
    ).toBe(4);
    expect(
      sum(samples, 'imagen_queue_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/v1/jobs/:id',
      }),
    ).toBeGreaterThanOrEqual(4);
    // The pattern, never the raw URL: no job id may become a label value.
    for (const job of jobs) expect(text).not.toContain(job.id);
    // Defined for the webhook deliverer, present even before any delivery.
    expect(text).toContain('# TYPE imagen_queue_webhook_deliveries_total counter');
    expect(text).toContain('# TYPE imagen_queue_webhook_delivery_duration_seconds histogram');
  });

  it('admin routes need the admin key: none or a wrong one is 401 problem+json', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${WRONG_KEY}`,
      `Bearer ${TEST_KEY}`,
      `Basic ${Buffer.from(`admin:${WRONG_KEY}`).toString('base64')}`,
    ]) {
      for (const path of ['/admin/queues', '/admin/workers']) {
        const response = await admin(path, authorization);
        expect(response.status, `${path} with ${authorization}`).toBe(401);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(response.headers.get('www-authenticate')).toMatch(/Basic/);
        expect(await response.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
      }
    }
  });

  it('with the admin key, Bull Board opens (Bearer or Basic) and shows the queue', async () => {
    const page = await admin('/admin/queues', `Bearer ${ADMIN_KEY}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const basic = `Basic ${Buffer.from(`ops:${ADMIN_KEY}`).toString('base64')}`;
    const api = await admin('/admin/queues/api/queues', basic);
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((queue) => queue.name)).toContain('generation');
  });

  it('GET /admin/workers lists the live worker from its heartbeat', async () => {
    const response = await admin('/admin/workers', `Bearer ${ADMIN_KEY}`);
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as {
      data: { pid: number; hostname: string; concurrency: number; in_flight: unknown[] }[];
    };
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ pid: stack.workers[0]!.child.pid, concurrency: 4 });
    expect(data[0]!.in_flight).toEqual([]);
  });

  it("a running job shows in its worker's heartbeat; a cancel is counted by the API", async () => {
    const emulatorConfig = (body: unknown) =>
      fetch(`${stack.emulator.url}/__emulator/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await emulatorConfig({ latencyMs: [20_000, 20_000] });
    try {
      const slow = await stack.submitJob({ prompt: 'a very slow sunrise', seed: 5 });
      let inFlight: { job_id: string; tenant: string }[] = [];
      await waitUntil(
        async () => {
          const response = await admin('/admin/workers', `Bearer ${ADMIN_KEY}`);
          const { data } = (await response.json()) as { data: { in_flight: typeof inFlight }[] };
          inFlight = data.flatMap((worker) => worker.in_flight);
          return inFlight.some((job) => job.job_id === slow.id);
        },
        15_000,
        'the slow job in a heartbeat',
      );
      expect(inFlight.find((job) => job.job_id === slow.id)).toMatchObject({ tenant: 'acme' });

      const canceled = await stack.request(`/v1/jobs/${slow.id}/cancel`, {
        method: 'POST',
        body: '{}',
      });
      expect(canceled.status).toBe(200);
      const samples = parseMetrics(await (await fetch(`${stack.api.url}/metrics`)).text());
      expect(
        sum(samples, 'imagen_queue_jobs_finished_total', { outcome: 'canceled', code: 'canceled' }),
      ).toBe(1);
    } finally {
      await emulatorConfig({ latencyMs: [20, 20] });
    }
  });

  it('the request id reaches the worker; no secret or presigned signature is ever logged', async () => {
    // A failing request carrying a wrong key, and a read that returns presigned URLs.
    await stack.request('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({ prompt: '' }),
      headers: { authorization: `Bearer ${WRONG_KEY}` },
    });
    await stack.request('/v1/jobs', { method: 'POST', body: JSON.stringify({ prompt: 42 }) });
    const read = await stack.request(`/v1/jobs/${jobs[1]!.id}`);
    const urls = (read.body as Job).result!.images.map((image) => image.url);
    const signatures = urls.map((url) => new URL(url).searchParams.get('X-Amz-Signature') ?? '');
    expect(signatures.every((s) => s && s.length > 16)).toBe(true);

    const worker = stack.workers[0]!;
    const workerLines = worker
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      workerLines.some(
        (line) =>
          line.requestId === REQUEST_ID && line.jobId === jobs[0]!.id && line.tenant === 'acme',
      ),
    ).toBe(true);
    const apiLines = stack.api
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(apiLines.some((line) => line.requestId === REQUEST_ID)).toBe(true);

    await stack.stop();
    const output = [stack.api, ...stack.workers].map((p) => p.output()).join('\n');
    for (const secret of [
      ADMIN_KEY,
      PROVIDER_KEY,
      WRONG_KEY,
      TEST_KEY,
      stack.env.S3_SECRET_ACCESS_KEY!,
      ...signatures,
    ]) {
      expect(output.includes(secret), `log output contains ${secret.slice(0, 6)}…`).toBe(false);
    }
    expect(output).not.toMatch(/X-Amz-Signature=(?!\[redacted\])/);
  });
});
