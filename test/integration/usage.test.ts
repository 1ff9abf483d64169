import { readFileSync } from 'node:fs';
import type { Batch, Job } from '@imagen-queue/contract';
import type { BilledCall } from '@imagen-queue/imagen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('usage as the provider reported it, per job, batch and tenant', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;

  beforeAll(async () => {
    stack = await startStack({ prefix: testPrefix(), emulatorEnv: { EMULATOR_LATENCY_MS: '20' } });
    const priced = await fetch(`${stack.emulator.url}/__emulator/config`, {
      method: 'POST',
      body: JSON.stringify({
        pricesUsd: { 'imagen-3.0-generate-002': 0.03, 'google/imagen-4.0-generate-001': 0.045 },
      }),
    });
    expect(priced.status).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a 20-job batch over two models adds up to what the emulator billed, call by call', async () => {
    const jobs = Array.from({ length: 20 }, (_, i) => ({
      prompt: `usage ${i}`,
      model: i % 2 === 0 ? 'imagen-3.0-generate-002' : 'imagen-4.0-generate-001',
      num_images: 1 + (i % 3),
    }));
    const id = await stack.submitBatch(jobs);
    await stack.waitForBatch(id);
    const batch = (await stack.request(`/v1/batches/${id}`)).body as Batch;
    const views = await stack.batchJobs(id);
    const { data: calls } = (await (
      await fetch(`${stack.emulator.url}/__emulator/calls`)
    ).json()) as { data: BilledCall[] };

    expect(views.every((job) => job.status === 'succeeded')).toBe(true);
    expect(calls).toHaveLength(20);
    expect(batch.usage.provider_calls).toBe(20);
    expect(batch.usage.images).toBe(sum(jobs.map((j) => j.num_images)));
    expect(batch.usage.cost_usd).toBeCloseTo(sum(calls.map((c) => c.usd)), 2);
    expect(batch.usage.credits).toBeCloseTo(sum(calls.map((c) => c.credits)), 2);
    const price = (model: string) => (model === 'imagen-3.0-generate-002' ? 0.03 : 0.045);
    expect(batch.usage.cost_usd).toBeCloseTo(
      sum(jobs.map((j) => j.num_images * price(j.model))),
      6,
    );

    const byId = new Map(calls.map((call) => [call.request_id, call]));
    expect(byId.size).toBe(20);
    for (const call of calls) expect(call.request_id).toMatch(REQUEST_ID);
    for (const job of views as Job[]) {
      // The job id as it is (`_` is a valid character), then the job's call number.
      expect(job.usage.request_ids).toEqual([`${job.id}.1`]);
      const own = job.usage.request_ids.map((rid) => byId.get(rid)!);
      expect(own.every(Boolean)).toBe(true);
      expect(job.usage.provider_calls).toBe(own.length);
      expect(job.usage.images).toBe(job.request.num_images);
      expect(job.usage.cost_usd).toBeCloseTo(sum(own.map((c) => c.usd)), 6);
      expect(job.usage.credits).toBeCloseTo(sum(own.map((c) => c.credits)), 6);
    }

    const byModel = (await stack.request('/v1/usage?group_by=model')).body as {
      data: { model: string; provider_calls: number; cost_usd: number }[];
      total: { provider_calls: number; cost_usd: number };
    };
    expect(byModel.total.provider_calls).toBe(20);
    expect(byModel.total.cost_usd).toBeCloseTo(batch.usage.cost_usd!, 6);
    expect(byModel.data.map((row) => row.model).sort()).toEqual([
      'google/imagen-4.0-generate-001',
      'imagen-3.0-generate-002',
    ]);
    const byDay = (await stack.request('/v1/usage?group_by=day')).body as {
      data: { day: string; provider_calls: number }[];
    };
    expect(byDay.data).toEqual([
      expect.objectContaining({ day: new Date().toISOString().slice(0, 10), provider_calls: 20 }),
    ]);
    const bad = await stack.request('/v1/usage?from=2026-01-10&to=2026-01-01');
    expect(bad.status).toBe(400);
  });

  it('refuses a span over 366 days before listing its days, and a day the calendar lacks', async () => {
    type Problem = { errors: { path: string; message: string }[] };
    // Listing every day of 0000-01-01..9999-12-31 before checking the span grew the API's RSS by
    // ~240 MB here (measured with the old route) and held its event loop for seconds; checked
    // from the two dates it costs next to nothing. 100 MB sits far from both.
    const pid = stack.api.child.pid!;
    const before = rssOf(pid);
    const huge = await stack.request('/v1/usage?from=0000-01-01&to=9999-12-31');
    const grown = rssOf(pid) - before;
    expect(huge.status).toBe(400);
    expect((huge.body as Problem).errors).toEqual([
      { path: '/to', message: 'must be within 366 days of from' },
    ]);
    expect(grown).toBeLessThan(100 * 2 ** 20);

    // Date.parse rolls 2026-02-31 over to March 3rd; it is no date, whatever `to` is.
    for (const query of ['from=2026-02-31&to=2026-03-31', 'from=2026-02-31&to=2026-03-01']) {
      const invalid = await stack.request(`/v1/usage?${query}`);
      expect(invalid.status).toBe(400);
      expect((invalid.body as Problem).errors).toEqual([
        { path: '/from', message: 'must be a valid date, YYYY-MM-DD' },
      ]);
    }
    const invalidTo = await stack.request('/v1/usage?to=2026-13-01');
    expect((invalidTo.body as Problem).errors).toEqual([
      { path: '/to', message: 'must be a valid date, YYYY-MM-DD' },
    ]);
  });

  it('numbers every call of a job, 429s too, so each bill line matches one request id', async () => {
    const emulatorConfig = (body: Record<string, unknown>) =>
      fetch(`${stack.emulator.url}/__emulator/config`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
    const callsOf = async (jobId: string) =>
      (
        (await (await fetch(`${stack.emulator.url}/__emulator/calls`)).json()) as {
          data: BilledCall[];
        }
      ).data.filter((call) => call.request_id?.startsWith(`${jobId}.`));
    expect((await emulatorConfig({ forceStatus: 429 })).status).toBe(200);
    // A model no other test here called: the 429 teaches the limiter its floor pace (6 a minute),
    // not a pace learned from earlier calls, so the second call comes within ~10 s.
    const job = await stack.submitJob({
      prompt: 'rate limited first',
      model: 'google/imagen-4.0-fast-generate-001',
    });
    try {
      // A 429 does not use a BullMQ attempt: numbered by attempt, both calls would be `.1`.
      const deadline = Date.now() + 30_000;
      while ((await callsOf(job.id)).length < 1) {
        if (Date.now() > deadline) throw new Error('the job was not sent in time');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await emulatorConfig({ forceStatus: null });
    }
    let view = await stack.job(job.id);
    const deadline = Date.now() + 60_000;
    while (view.status !== 'succeeded') {
      if (Date.now() > deadline) throw new Error(`job not done: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await stack.job(job.id);
    }
    const calls = await callsOf(job.id);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls[0]!.status).toBe(429);
    expect(calls.at(-1)!.status).toBe(201);
    expect(view.usage.request_ids).toEqual(calls.map((call) => call.request_id));
    expect(view.usage.request_ids).toEqual(calls.map((_, i) => `${job.id}.${i + 1}`));
    expect(view.usage.provider_calls).toBe(calls.length);
  });
});
