import { createProviderLimiter, createRedis } from '@imagen-queue/store';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from '../support/tracking.ts';

const connection = createRedis(
  { url: inject('services').redisUrl, clusterNodes: null, prefix: 'limiter-models' },
  { name: 'limiter-models-test', role: 'worker' },
);
afterAll(async () => {
  await connection.quit();
});

describe('one provider pace per model', () => {
  it('a 429 storm on one model leaves another model’s pace untouched', async () => {
    const prefix = testPrefix();
    const limiter = createProviderLimiter(connection, {
      prefix,
      initialPerMin: 600,
      ceilingPerMin: null,
      floorPerMin: 1,
    });
    const calm = 'google/imagen-4.0-generate-001';
    const stormy = 'google/nano-banana-2';
    // Both models have been called and answered: each has a pace of its own.
    await (await limiter.acquire(undefined, { model: calm }))('ok');
    const calmBefore = await limiter.currentRate(calm);
    // Twenty calls in flight on one model, every one answered 429.
    const inFlight = await Promise.all(
      Array.from({ length: 20 }, () => limiter.acquire(undefined, { model: stormy })),
    );
    await Promise.all(inFlight.map((answered) => answered('limited')));
    const stormyAfter = await limiter.currentRate(stormy);
    expect(stormyAfter).toBeLessThan(600);
    expect(await limiter.currentRate(calm)).toBe(calmBefore);
    const paces = await limiter.paces();
    expect(paces[calm]).toBe(calmBefore);
    expect(paces[stormy]).toBe(stormyAfter);
    // The other model still gets its slot at once: its window holds none of the storm's calls.
    await (await limiter.acquire(AbortSignal.timeout(5_000), { model: calm }))('ok');
  });

  it('grows the pace while callers wait and no 429 came, and keeps it for more than an idle hour', async () => {
    const prefix = testPrefix();
    const windowMs = 2_000;
    const limiter = createProviderLimiter(connection, {
      prefix,
      initialPerMin: 10,
      ceilingPerMin: null,
      windowMs,
    });
    const model = 'imagen-3.0-generate-002';
    // Eight callers on a pace of 10 per window: most of them wait, so slow start sees demand.
    let accepted = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (accepted < 30) {
          const answered = await limiter.acquire(undefined, { model });
          accepted++;
          await answered('ok');
        }
      }),
    );
    // Probing alone (+0.01 a call) would be at about 10.3 after 30 calls.
    expect(await limiter.currentRate(model)).toBeGreaterThanOrEqual(20);
    const ttl = await connection.pttl(`${prefix}:{limiter}:provider:m:${model}`);
    expect(ttl).toBeGreaterThan(2 * 3_600_000);
  }, 30_000);
});
