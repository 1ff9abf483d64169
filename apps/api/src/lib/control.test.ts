import { describe, expect, it } from 'vitest';
import { resolveControl } from './control.ts';
import { ProblemError } from './problem-error.ts';

const NOW = Date.parse('2026-12-02T05:00:00Z');

function problemOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    return error as ProblemError;
  }
  throw new Error('expected a 400');
}

describe('resolveControl', () => {
  it('refuses a start_before that is not after now, naming the field', () => {
    for (const start_before of ['2026-12-02T05:00:00Z', '2026-12-01T00:00:00Z']) {
      const error = problemOf(() => resolveControl({ start_before }, NOW));
      expect(error).toBeInstanceOf(ProblemError);
      expect(error.status).toBe(400);
      expect(error.errors).toEqual([{ path: '/start_before', message: 'must be in the future' }]);
    }
    const nested = problemOf(() =>
      resolveControl({ start_before: '2020-01-01T00:00:00Z' }, NOW, '/defaults'),
    );
    expect(nested.errors?.[0]?.path).toBe('/defaults/start_before');
  });

  it('keeps a future start_before and turns start_within_s into one', () => {
    expect(resolveControl({ start_before: '2026-12-02T07:00:00+01:00' }, NOW)).toEqual({
      startBefore: '2026-12-02T06:00:00.000Z',
      cache: true,
    });
    expect(resolveControl({ start_before: '2026-12-02T05:00:01Z' }, NOW).startBefore).toBe(
      '2026-12-02T05:00:01.000Z',
    );
    expect(resolveControl({ start_within_s: 60, cache: false }, NOW)).toEqual({
      startBefore: '2026-12-02T05:01:00.000Z',
      cache: false,
    });
  });
});
