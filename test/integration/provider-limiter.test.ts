import { setTimeout as sleep } from 'node:timers/promises';
import { createProviderLimiter, createRedis } from '@imagen-queue/store';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from '../support/tracking.ts';

const prefix = testPrefix();
// Two connections: two worker processes sharing one limiter through Redis.
const connections = [1, 2].map((n) =>
  createRedis(
    { url: inject('services').redisUrl, clusterNodes: null, prefix },
    { name: `limiter-test-${n}`, role: 'worker' },
  ),
);
afterAll(async () => {
  await Promise.all(connections.map((c) => c.quit()));
});

/** A provider quota the way Google's behaves: N calls per rolling window, 429 without Retry-After. */
function rollingWindowProvider(limit: number, windowMs: number) {
  const admitted: number[] = [];
  let limited = 0;
  return {
    call(now = Date.now()): 'ok' | 'limited' {
      while (admitted.length > 0 && admitted[0]! <= now - windowMs) admitted.shift();
      if (admitted.length >= limit) {
        limited++;
        return 'limited';
      }
      admitted.push(now);
      return 'ok';
    },
    get limited() {
      return limited;
    },
  };
}

describe('the shared provider limiter', () => {
  it('learns a rolling-window limit from 429s without a volley of them, across processes', async () => {
    const windowMs = 3000;
    const limit = 20;
    const provider = rollingWindowProvider(limit, windowMs);
    const limiters = connections.map((connection) =>
      createProviderLimiter(connection, {
        prefix,
        // Three times the real limit: only 429s can teach it.
        initialPerMin: 60,
        ceilingPerMin: null,
        floorPerMin: 1,
        windowMs,
      }),
    );
    let calls = 0;
    const deadline = Date.now() + 5 * windowMs;
    // Four callers per process, each with 50–150 ms of provider latency.
    const caller = async (limiter: (typeof limiters)[number]) => {
      while (Date.now() < deadline) {
        const answered = await limiter.acquire();
        calls++;
        const outcome = provider.call();
        await sleep(50 + Math.random() * 100);
        await answered(outcome);
      }
    };
    await Promise.all(limiters.flatMap((limiter) => [1, 2, 3, 4].map(() => caller(limiter))));

    const learned = await limiters[0]!.currentRate();
    process.stdout.write(
      `[figures] limiter: calls=${calls} limited=${provider.limited} learned=${learned.toFixed(2)}/window\n`,
    );
    // Discovering the limit costs the calls already in flight, and a rare probe above it: not
    // one 429 per call for as long as the limit is exceeded.
    expect(provider.limited).toBeLessThanOrEqual(16);
    // Cutting again on every 429 (the failure this guards against) ends far below the limit;
    // the margin below 0.97 x limit is for the test's own clock skew on a loaded machine.
    expect(learned).toBeGreaterThanOrEqual(0.8 * limit);
    expect(learned).toBeLessThanOrEqual(1.05 * limit);
    expect(await limiters[1]!.currentRate()).toBe(learned);
  }, 30_000);

  it('never sends more than its rate within one window, however many callers wait', async () => {
    const windowMs = 2000;
    const limiter = createProviderLimiter(connections[0]!, {
      prefix: `${prefix}-cap`,
      initialPerMin: 10,
      ceilingPerMin: 10,
      windowMs,
    });
    const sent: number[] = [];
    const until = Date.now() + 5000;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (Date.now() < until) {
          const answered = await limiter.acquire();
          sent.push(Date.now());
          await answered('ok');
        }
      }),
    );
    // Stamped here, after Redis answered: allow for the event loop's delay in the stamps.
    const skewMs = 200;
    for (const start of sent) {
      const inWindow = sent.filter((t) => t >= start && t < start + windowMs - skewMs).length;
      expect(inWindow).toBeLessThanOrEqual(10);
    }
    expect(sent.length).toBeGreaterThan(10);
  }, 20_000);
});
