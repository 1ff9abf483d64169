import type { Job } from '@imagen-queue/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

describe('never paying twice: exact seeded repeats are served from the stored images', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;

  beforeAll(async () => {
    stack = await startStack({ prefix: testPrefix() });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const providerCalls = async () => (await stack.emulatorStats()).requests ?? 0;
  const run = async (prompt: string, extra: Record<string, unknown> = {}) => {
    const { status, body } = await stack.request('/v1/batches', {
      method: 'POST',
      body: JSON.stringify({
        jobs: Array.from({ length: 10 }, (_, i) => ({ prompt: `${prompt} ${i}`, seed: 1000 + i })),
        ...extra,
      }),
    });
    expect(status, JSON.stringify(body)).toBe(202);
    const id = (body as { id: string }).id;
    await stack.waitForBatch(id);
    return (await stack.batchJobs(id)) as Job[];
  };
  const bytesOf = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

  it('the same seeded 10-job batch twice makes 10 calls; the copies are byte-identical', async () => {
    const before = await providerCalls();
    const first = await run('cache me');
    const second = await run('cache me');
    expect((await providerCalls()) - before).toBe(10);
    for (const [i, job] of second.entries()) {
      const source = first[i]!;
      expect(job.status).toBe('succeeded');
      expect(job.usage).toMatchObject({ provider_calls: 0, cached_from: source.id });
      const [copy] = job.result!.images;
      const [original] = source.result!.images;
      expect(copy!.key).toContain(job.id);
      expect(copy!.key).not.toBe(original!.key);
      expect(copy!.sha256).toBe(original!.sha256);
      expect((await bytesOf(copy!.url)).equals(await bytesOf(original!.url))).toBe(true);
    }
  });

  it('with cache: false, the same batch twice makes 20 calls', async () => {
    const before = await providerCalls();
    await run('no cache', { cache: false });
    const again = await run('no cache', { cache: false });
    expect((await providerCalls()) - before).toBe(20);
    expect(again.every((job) => job.usage.provider_calls === 1 && !job.usage.cached_from)).toBe(
      true,
    );
  });

  it('a request without a seed is never served from the cache', async () => {
    const before = await providerCalls();
    for (let i = 0; i < 2; i++) {
      const job = await stack.submitJob({ prompt: 'unseeded repeat' });
      for (let polled = job; ; polled = await stack.job(job.id)) {
        if (polled.status === 'succeeded') break;
        expect(['queued', 'running']).toContain(polled.status);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect((await providerCalls()) - before).toBe(2);
  });
});
