import { describe, expect, it } from 'vitest';
import { createFairSlots } from './fair-slots.ts';

describe('fair slots', () => {
  it('never runs more than its capacity', async () => {
    const slots = createFairSlots(2);
    const releases = await Promise.all([slots.acquire('a'), slots.acquire('a')]);
    let third = false;
    const pending = slots.acquire('a').then((release) => {
      third = true;
      return release;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    releases[0]!();
    (await pending)();
    releases[1]!();
    expect(slots.running).toBe(0);
  });

  it('serves a newly waiting tenant before the big tenant’s backlog', async () => {
    const slots = createFairSlots(1);
    const order: string[] = [];
    const first = await slots.acquire('a');
    const backlog = Array.from({ length: 5 }, (_, i) =>
      slots.acquire('a').then((release) => {
        order.push(`a${i}`);
        release();
      }),
    );
    const b = slots.acquire('b').then((release) => {
      order.push('b');
      release();
    });
    first();
    await Promise.all([...backlog, b]);
    expect(order.indexOf('b')).toBeLessThanOrEqual(1);
  });

  it('an aborted wait gives up its place', async () => {
    const slots = createFairSlots(1);
    const held = await slots.acquire('a');
    const controller = new AbortController();
    const waiting = slots.acquire('b', controller.signal);
    controller.abort(new Error('canceled'));
    await expect(waiting).rejects.toThrow('canceled');
    expect(slots.waiting).toBe(0);
    held();
    expect(slots.running).toBe(0);
  });

  it('a release called twice frees one slot', async () => {
    const slots = createFairSlots(1);
    const release = await slots.acquire('a');
    release();
    release();
    expect(slots.running).toBe(0);
  });
});
