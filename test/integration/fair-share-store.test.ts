import { bullPrefix, QUEUES } from '@imagen-queue/contract';
import {
  createFairShare,
  createRedis,
  fairPriority,
  MAX_FAIR_POSITION,
  RequestLimitExceeded,
  type Stage,
} from '@imagen-queue/store';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from '../support/tracking.ts';

const prefix = testPrefix();
const redis = createRedis(
  { url: inject('services').redisUrl, clusterNodes: null, prefix },
  { name: 'fair-test', role: 'worker' },
);
const queue = new Queue(QUEUES.generation, { connection: redis, prefix: bullPrefix(prefix) });
const fair = createFairShare(redis, { prefix });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await redis.quit();
});

async function enqueue(tenant: string, priorities: number[]) {
  await queue.addBulk(
    priorities.map((priority, i) => ({
      name: 'generate-images',
      data: { tenant },
      opts: { priority, jobId: `${tenant}-${priority}-${i}-${Math.random()}` },
    })),
  );
}

describe('fair share positions (start-time fair queuing on BullMQ priorities)', () => {
  it('puts a newcomer at the clock, not behind a backlog; express jumps its own backlog', async () => {
    const a = await fair.reserve('a', ['normal', 'normal', 'normal', 'normal']);
    expect(a).toEqual([1, 2, 3, 4].map((p) => fairPriority(p, 'normal')));
    await enqueue('a', a);

    // Tenant b arrives after a's four jobs: it shares the first position, not the fifth.
    expect(await fair.reserve('b', ['normal'])).toEqual([fairPriority(1, 'normal')]);

    // A worker started a's second job: the clock is at position 2.
    await fair.started(fairPriority(2, 'normal'));
    expect(await fair.reserve('c', ['normal'])).toEqual([fairPriority(3, 'normal')]);
    // A late retry of an earlier position does not wind the clock back.
    await fair.started(fairPriority(1, 'normal'));
    expect(await fair.reserve('d', ['normal'])).toEqual([fairPriority(3, 'normal')]);

    // An express job of a's goes to the front of a's backlog, and a pays for it: its next
    // normal job comes one place later than it would have.
    expect(await fair.reserve('a', ['express', 'normal'])).toEqual([
      fairPriority(3, 'express'),
      fairPriority(5, 'normal'),
    ]);
    expect(await fair.reserve('a', ['normal'])).toEqual([fairPriority(7, 'normal')]);
  });

  it('restarts from position 1 once no job is waiting', async () => {
    await queue.obliterate({ force: true });
    expect(await fair.reserve('a', ['normal'])).toEqual([fairPriority(1, 'normal')]);
  });

  it("counts the jobs that start no later than a queued one, every tenant's, for a batch's eta", async () => {
    await queue.obliterate({ force: true });
    const add = (jobId: string, priority?: number) =>
      queue.add('generate-images', {}, { jobId, ...(priority ? { priority } : {}) });
    // Tenant a's backlog of 3, then b's batch of 2 interleaved with it by fair share.
    const a = await fair.reserve('a', ['normal', 'normal', 'normal']);
    for (const [i, priority] of a.entries()) await add(`a-${i}`, priority);
    const b = await fair.reserve('b', ['normal', 'normal']);
    for (const [i, priority] of b.entries()) await add(`b-${i}`, priority);
    // b-1 shares position 2 with a-1, queued before it: a-0, b-0, a-1, b-1.
    expect(await fair.jobsAhead('b-1')).toBe(4);
    expect(await fair.jobsAhead('a-2')).toBe(5);
    // A job without a priority waits in the plain list, ahead of every prioritized one.
    await add('plain');
    expect(await fair.jobsAhead('b-1')).toBe(5);
    expect(await fair.jobsAhead('not-queued')).toBeNull();
    await queue.obliterate({ force: true });
  });

  it("makes an admitted request's staged writes in the same call, and an over-limit one's never", async () => {
    const count = { key: `${prefix}:count:staged`, windowMs: 60_000, max: 1 };
    const record = `${prefix}:job:staged`;
    const list = `${prefix}:list:staged`;
    const stage = (id: string) => (writes: Parameters<Stage>[0]) => {
      writes.hset(`${record}:${id}`, { id, status: 'queued' });
      writes.zadd(list, '0', id);
      writes.expire(list, 600);
    };
    const admitted = await fair.admit('s', ['normal'], count, stage('one'));
    expect(admitted).toMatchObject({ staged: true, counted: { current: 1, max: 1 } });
    expect(await redis.hgetall(`${record}:one`)).toEqual({ id: 'one', status: 'queued' });
    expect(await redis.zrange(list, '0', '-1')).toEqual(['one']);
    expect(await redis.ttl(list)).toBeGreaterThan(590);

    await expect(fair.admit('s', ['normal'], count, stage('two'))).rejects.toBeInstanceOf(
      RequestLimitExceeded,
    );
    expect(await redis.exists(`${record}:two`)).toBe(0);
    expect(await redis.zrange(list, '0', '-1')).toEqual(['one']);
    await redis.del(`${record}:one`, list, count.key);
  });

  it('stays inside BullMQ priorities: past the last position, first come first served', () => {
    expect(fairPriority(MAX_FAIR_POSITION, 'normal')).toBe(2 ** 21 - 1);
    expect(fairPriority(MAX_FAIR_POSITION + 10, 'normal')).toBe(2 ** 21 - 1);
    expect(fairPriority(1, 'express')).toBeLessThan(fairPriority(1, 'normal'));
  });
});
