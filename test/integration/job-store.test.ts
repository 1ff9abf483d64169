import { type NewJob, newId, normalizeGeneration } from '@imagen-queue/contract';
import { createBatchStore, createJobStore, createRedis } from '@imagen-queue/store';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from '../support/tracking.ts';

const prefix = testPrefix();
const redis = createRedis(
  { url: inject('services').redisUrl, clusterNodes: null, prefix },
  { name: 'store-test', role: 'worker' },
);
const jobs = createJobStore(redis, { prefix, retentionSeconds: 60 });
const batches = createBatchStore(redis, { prefix });

afterAll(async () => {
  await redis.quit();
});

function newJob(tenant: string, batchId: string | null = null): NewJob {
  return {
    id: newId('job'),
    tenant,
    batchId,
    request: normalizeGeneration({ prompt: 'a test' }),
    metadata: {},
    webhookUrl: null,
    priority: 0,
  };
}

describe('job store transitions', () => {
  it('applies a change only from the allowed states, once', async () => {
    const job = await jobs.create(newJob('acme'));
    expect(
      (
        await jobs.transition('acme', job.id, {
          from: ['queued'],
          to: 'running',
          countAttempt: true,
        })
      ).applied,
    ).toBe(true);
    const finish = {
      from: ['running'] as const,
      to: 'succeeded' as const,
      result: { images: [], enhanced_prompt: null, filtered: 0 },
    };
    const first = await jobs.transition('acme', job.id, finish);
    const second = await jobs.transition('acme', job.id, finish);
    expect(first).toEqual({ applied: true, terminalCount: 1, batchCompletion: 0 });
    expect(second.applied).toBe(false);
    const stored = await jobs.get('acme', job.id);
    expect(stored).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(stored?.finishedAt).not.toBeNull();
    expect(await redis.ttl(jobs.keys.job('acme', job.id))).toBeGreaterThan(0);
  });

  it('keeps tenants apart: another tenant neither reads nor moves the job', async () => {
    const job = await jobs.create(newJob('acme'));
    expect(await jobs.get('globex', job.id)).toBeNull();
    expect(
      (await jobs.transition('globex', job.id, { from: ['queued'], to: 'canceled' })).applied,
    ).toBe(false);
    expect((await jobs.get('acme', job.id))?.status).toBe('queued');
  });

  it('keeps batch counts exact and completes the batch exactly once under racing finishes', async () => {
    const batchId = newId('bat');
    const members = Array.from({ length: 50 }, () => newJob('acme', batchId));
    await batches.create({
      id: batchId,
      tenant: 'acme',
      metadata: {},
      webhookUrl: null,
      jobs: members,
    });
    expect((await batches.get('acme', batchId))?.counts).toMatchObject({ total: 50, queued: 50 });

    await Promise.all(
      members.map((job) => jobs.transition('acme', job.id, { from: ['queued'], to: 'running' })),
    );
    expect(await batches.get('acme', batchId)).toMatchObject({
      status: 'running',
      counts: { running: 50, queued: 0 },
    });

    // Every job is finished twice at once, as two workers would after a stall.
    const outcomes = await Promise.all(
      members.flatMap((job, i) =>
        [0, 1].map(() =>
          jobs.transition('acme', job.id, {
            from: ['running'],
            to: i % 10 === 0 ? 'failed' : 'succeeded',
            error: null,
          }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.applied)).toHaveLength(50);
    expect(outcomes.filter((o) => o.batchCompletion > 0)).toEqual([
      { applied: true, terminalCount: 1, batchCompletion: 1 },
    ]);
    const batch = await batches.get('acme', batchId);
    expect(batch).toMatchObject({ status: 'completed', completions: 1 });
    expect(batch?.counts).toEqual({
      total: 50,
      queued: 0,
      running: 0,
      succeeded: 45,
      failed: 5,
      canceled: 0,
    });
    expect(await batches.jobIds('acme', batchId, 0, 3)).toEqual(
      members.slice(0, 3).map((j) => j.id),
    );
  });

  it('a retried job reopens its batch and its next finish is a new event', async () => {
    const batchId = newId('bat');
    const [job] = [newJob('acme', batchId)];
    await batches.create({
      id: batchId,
      tenant: 'acme',
      metadata: {},
      webhookUrl: null,
      jobs: [job!],
    });
    await jobs.transition('acme', job!.id, { from: ['queued'], to: 'failed' });
    expect((await batches.get('acme', batchId))?.status).toBe('completed');
    await jobs.transition('acme', job!.id, { from: ['failed'], to: 'queued', error: null });
    expect((await batches.get('acme', batchId))?.status).toBe('running');
    const again = await jobs.transition('acme', job!.id, { from: ['queued'], to: 'succeeded' });
    expect(again).toEqual({ applied: true, terminalCount: 2, batchCompletion: 2 });
  });

  it('records every change on the job event stream, for late SSE readers', async () => {
    const job = await jobs.create(newJob('acme'));
    await jobs.transition('acme', job.id, { from: ['queued'], to: 'running' });
    await jobs.transition('acme', job.id, { from: ['running'], to: 'canceled' });
    const entries = await redis.xrange(jobs.keys.jobEvents('acme', job.id), '-', '+');
    expect(entries.map(([, fields]) => fields[1])).toEqual(['running', 'canceled']);
  });

  it('stores a result in chunks and leaves no stale chunk when a shorter one (or none) replaces it', async () => {
    const job = await jobs.create(newJob('acme'));
    const image = (i: number) => ({
      key: `elsewhere/${i}.png`,
      mime_type: 'image/png',
      width: 1024,
      height: 1024,
      bytes: 1000 + i,
      sha256: 'ab'.repeat(32),
    });
    const result = (images: number) => ({
      images: Array.from({ length: images }, (_, i) => image(i)),
      enhanced_prompt: null,
      filtered: 0,
    });
    const chunks = async () =>
      (await redis.hkeys(jobs.keys.job('acme', job.id))).filter((f) => f.startsWith('result'));
    const finish = async (images: number | null) => {
      await jobs.transition('acme', job.id, { from: ['queued', 'succeeded'], to: 'running' });
      await jobs.transition('acme', job.id, {
        from: ['running'],
        to: 'succeeded',
        result: images === null ? null : result(images),
      });
    };

    await finish(4);
    const long = await chunks();
    expect(long.length).toBeGreaterThan(4);
    expect((await jobs.get('acme', job.id))?.result).toEqual(result(4));
    await finish(1);
    const short = await chunks();
    expect(short.length).toBeLessThan(long.length);
    // Contiguous from the head: the chunks of the longer result past the shorter one's are gone.
    const names = Array.from({ length: short.length }, (_, i) => (i ? `result.${i}` : 'result'));
    expect(new Set(short)).toEqual(new Set(names));
    expect((await jobs.get('acme', job.id))?.result).toEqual(result(1));
    await finish(null);
    expect(await chunks()).toEqual([]);
    expect((await jobs.get('acme', job.id))?.result).toBeNull();
  });
});
