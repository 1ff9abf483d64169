import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createProgressReporter,
  describeProgress,
  formatDuration,
  measureProgress,
} from './progress.ts';

const counts = (over: Partial<Record<string, number>> = {}) => ({
  total: 10,
  queued: 10,
  running: 0,
  succeeded: 0,
  failed: 0,
  canceled: 0,
  ...over,
});

describe('measureProgress', () => {
  it('has no pace until a job has finished since we started watching', () => {
    expect(measureProgress(counts(), { at: 0, finished: 0 }, 5_000, 1)).toEqual({
      finished: 0,
      total: 10,
      imagesPerMinute: null,
      etaSeconds: null,
    });
  });

  it('derives images/min and the ETA from jobs finished since the start', () => {
    // 4 jobs in 30 s = 8 jobs/min; 2 images each; 6 jobs left → 45 s.
    const figures = measureProgress(
      counts({ queued: 4, running: 2, succeeded: 3, failed: 1 }),
      { at: 0, finished: 0 },
      30_000,
      2,
    );
    expect(figures).toEqual({ finished: 4, total: 10, imagesPerMinute: 16, etaSeconds: 45 });
  });

  it('does not count jobs that were already finished when watching began', () => {
    const figures = measureProgress(
      counts({ queued: 0, succeeded: 10 }),
      { at: 0, finished: 8 },
      60_000,
      1,
    );
    expect(figures.imagesPerMinute).toBe(2);
    expect(figures.etaSeconds).toBe(0);
  });
});

describe('formatDuration', () => {
  it('reads like a clock', () => {
    expect(formatDuration(null)).toBe('--');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
  });
});

describe('createProgressReporter on a pipe', () => {
  it('prints one line per change of the counts, with counts by state, images/min and ETA', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    let now = 0;
    const reporter = createProgressReporter(stream, 1, () => now);
    reporter.update(counts());
    now = 1_000;
    reporter.update(counts());
    now = 30_000;
    reporter.update(counts({ queued: 5, running: 1, succeeded: 4 }));
    reporter.stop();
    const lines = String((stream as unknown as PassThrough).read())
      .trim()
      .split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      '0/10 jobs | queued 10 · running 0 · succeeded 0 · failed 0 · canceled 0 | -- images/min | ETA --',
    );
    expect(lines[1]).toBe(
      '4/10 jobs | queued 5 · running 1 · succeeded 4 · failed 0 · canceled 0 | 8.0 images/min | ETA 45s',
    );
    expect(
      describeProgress(counts(), measureProgress(counts(), { at: 0, finished: 0 }, 0, 1)),
    ).toMatch(/ETA --$/);
  });
});
