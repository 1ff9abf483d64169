import { describe, expect, it } from 'vitest';
import { coalesce, coalesceBy } from './coalesce.ts';

describe('coalesce', () => {
  it('flushes a lone value at once and merges what arrives meanwhile into one next flush', async () => {
    const flushed: number[] = [];
    const gates: PromiseWithResolvers<void>[] = [];
    const report = coalesce(
      (a: number, b: number) => a + b,
      (value) => {
        flushed.push(value);
        const gate = Promise.withResolvers<void>();
        gates.push(gate);
        return gate.promise;
      },
    );
    const first = report(1);
    expect(flushed).toEqual([1]);
    const later = [report(2), report(3), report(4)];
    expect(flushed).toEqual([1]);
    gates[0]!.resolve();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(flushed).toEqual([1, 9]);
    gates[1]!.resolve();
    await Promise.all(later);
  });

  it('rejects the callers whose values a failed flush carried, and goes on with the next', async () => {
    const flushed: number[] = [];
    const report = coalesce(Math.max, async (value: number) => {
      flushed.push(value);
      if (flushed.length === 1) throw new Error('redis down');
    });
    const failed = report(5);
    const next = report(7);
    await expect(failed).rejects.toThrow('redis down');
    await next;
    expect(flushed).toEqual([5, 7]);
  });

  it('keeps keys apart: each key merges and flushes on its own line', async () => {
    const flushed: [string, number][] = [];
    const gates: PromiseWithResolvers<void>[] = [];
    const report = coalesceBy(
      (a: number, b: number) => a + b,
      (key, value) => {
        flushed.push([key, value]);
        const gate = Promise.withResolvers<void>();
        gates.push(gate);
        return gate.promise;
      },
    );
    const first = [report('a', 1), report('b', 10)];
    expect(flushed).toEqual([
      ['a', 1],
      ['b', 10],
    ]);
    const later = [report('a', 2), report('a', 3), report('b', 20)];
    for (const gate of gates.splice(0)) gate.resolve();
    await Promise.all(first);
    await new Promise((r) => setImmediate(r));
    expect(flushed.slice(2)).toEqual([
      ['a', 5],
      ['b', 20],
    ]);
    for (const gate of gates) gate.resolve();
    await Promise.all(later);
  });
});
