import { expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.ts';

it('admits N per rolling minute, then says when the oldest leaves the window', () => {
  const limiter = createRateLimiter();
  const t0 = 1_000_000;
  expect(limiter.take(2, t0)).toBeNull();
  expect(limiter.take(2, t0 + 10_000)).toBeNull();
  expect(limiter.take(2, t0 + 20_000)).toBe(40_000);
  expect(limiter.take(2, t0 + 60_000)).toBeNull(); // the first left the window
  expect(limiter.take(2, t0 + 60_001)).toBe(9_999);
  expect(limiter.take(1, t0 + 60_001)).toBe(59_999); // lowered at run time: wait for the newest
  limiter.reset();
  expect(limiter.take(1, t0 + 60_002)).toBeNull();
});
