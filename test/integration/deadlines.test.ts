import type { Job } from '@imagen-queue/contract';
import type { BilledCall } from '@imagen-queue/imagen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

describe('deadlines: a job not started in time ends without a provider call', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;

  beforeAll(async () => {
    stack = await startStack({
      prefix: testPrefix(),
      emulatorEnv: { EMULATOR_LATENCY_MS: '800' },
      env: { WORKER_CONCURRENCY: '1' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('start_within_s: 2 behind a long backlog → deadline_exceeded, never sent', async () => {
    // 8 calls of 800 ms at concurrency 1: the deadline batch cannot start within 2 s.
    const backlog = await stack.submitBatch(
      Array.from({ length: 8 }, (_, i) => ({ prompt: `backlog ${i}` })),
    );
    const { status, body } = await stack.request('/v1/batches', {
      method: 'POST',
      body: JSON.stringify({
        jobs: Array.from({ length: 4 }, (_, i) => ({ prompt: `hurry ${i}` })),
        start_within_s: 2,
      }),
    });
    expect(status, JSON.stringify(body)).toBe(202);
    const hurried = (body as { id: string }).id;
    const late = await stack.waitForBatch(hurried);
    await stack.waitForBatch(backlog);
    expect(late.counts).toMatchObject({ total: 4, canceled: 4 });
    const jobs = (await stack.batchJobs(hurried)) as Job[];
    for (const job of jobs) {
      expect(job.status).toBe('canceled');
      expect(job.error?.code).toBe('deadline_exceeded');
      expect(job.usage.provider_calls).toBe(0);
      expect(job.started_at).toBeNull();
    }
    const { data: calls } = (await (
      await fetch(`${stack.emulator.url}/__emulator/calls`)
    ).json()) as { data: BilledCall[] };
    expect(calls).toHaveLength(8);
    const hurriedIds = jobs.map((job) => `${job.id}.`);
    expect(
      calls.filter((call) => hurriedIds.some((id) => call.request_id?.startsWith(id))),
    ).toEqual([]);
  });

  it("a batch behind a backlog shows an eta from the fleet's pace before any of its jobs ends", async () => {
    // 12 calls of 800 ms at concurrency 1 ahead of it: ~10 s, long enough for the worker's
    // heartbeat (every 5 s) to carry a measured call latency.
    const backlog = await stack.submitBatch(
      Array.from({ length: 12 }, (_, i) => ({ prompt: `ahead ${i}` })),
    );
    const later = await stack.submitBatch([{ prompt: 'behind 0' }, { prompt: 'behind 1' }]);
    let seen: { eta: string | null; counts: { succeeded: number }; at: number } | null = null;
    const deadline = Date.now() + 30_000;
    while (!seen) {
      const view = (await stack.request(`/v1/batches/${later}`)).body as {
        eta: string | null;
        counts: { succeeded: number };
      };
      // Its own pace is unknown until one of its jobs ends: an eta now is the fleet's.
      if (view.counts.succeeded > 0 || Date.now() > deadline)
        throw new Error(`no eta before the batch's first job ended: ${JSON.stringify(view)}`);
      if (view.eta) seen = { ...view, at: Date.now() };
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // At most 14 jobs of ~0.8 s each at one slot are ahead of its last: due within ~12 s.
    const due = Date.parse(seen.eta!) - seen.at;
    expect(due).toBeGreaterThan(0);
    expect(due).toBeLessThan(30_000);
    await stack.waitForBatch(later);
    report('batch eta from the fleet', {
      eta_s: (due / 1000).toFixed(1),
      done_after_s: ((Date.now() - seen.at) / 1000).toFixed(1),
    });
    await stack.waitForBatch(backlog);
  });

  it('refuses a start_before already past, on a job and on a batch, naming the field', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const job = await stack.request('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({ prompt: 'too late', start_before: past }),
    });
    expect(job.status).toBe(400);
    expect((job.body as { errors: unknown[] }).errors).toEqual([
      { path: '/start_before', message: 'must be in the future' },
    ]);
    const batch = await stack.request('/v1/batches', {
      method: 'POST',
      body: JSON.stringify({ jobs: [{ prompt: 'too late' }], start_before: past }),
    });
    expect(batch.status).toBe(400);
    expect((batch.body as { errors: unknown[] }).errors).toEqual([
      { path: '/start_before', message: 'must be in the future' },
    ]);
  });

  it('refuses start_before with start_within_s, naming the field', async () => {
    const { status, body } = await stack.request('/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({
        prompt: 'x',
        start_before: new Date().toISOString(),
        start_within_s: 5,
      }),
    });
    expect(status).toBe(400);
    expect((body as { errors: { path: string }[] }).errors[0]!.path).toBe('/start_within_s');
  });
});
