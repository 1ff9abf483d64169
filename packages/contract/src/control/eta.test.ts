import { describe, expect, it } from 'vitest';
import type { BatchRecord } from '../records/batch.ts';
import { batchEta, fleetPace } from './eta.ts';

const NOW = Date.parse('2026-12-02T12:00:00Z');

function batch(counts: Partial<BatchRecord['counts']>, createdSecondsAgo = 100): BatchRecord {
  const full = {
    total: 100,
    queued: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    canceled: 0,
    ...counts,
  };
  return {
    id: 'bat_1',
    tenant: 'acme',
    status: 'running',
    counts: full,
    createdAt: new Date(NOW - createdSecondsAgo * 1000).toISOString(),
    finishedAt: null,
    metadata: {},
    webhookUrl: null,
    completions: 0,
  } as BatchRecord;
}
const inSeconds = (seconds: number) => new Date(NOW + seconds * 1000).toISOString();

describe('batchEta', () => {
  it('places the batch behind the jobs ahead of it, at the fleet slots’ pace', () => {
    // 80 left of its own, 400 jobs ahead of its last one, slots running 4 jobs a second.
    const record = batch({ succeeded: 20, queued: 80 });
    const inputs = { jobsAhead: 400, slotsPerSecond: 4, modelPerSecond: null };
    expect(batchEta(record, inputs, NOW)).toBe(inSeconds(100));
  });

  it("waits for its model's provider pace when that is slower than the slots", () => {
    // 80 jobs at 0.5 calls a second is 160 s, later than 100 jobs at 4 a second (25 s).
    const record = batch({ succeeded: 20, queued: 80 });
    const inputs = { jobsAhead: 100, slotsPerSecond: 4, modelPerSecond: 0.5 };
    expect(batchEta(record, inputs, NOW)).toBe(inSeconds(160));
  });

  it('counts at least its own remaining jobs, however few are said to be ahead', () => {
    const record = batch({ succeeded: 50, running: 10, queued: 40 });
    const inputs = { jobsAhead: 5, slotsPerSecond: 10, modelPerSecond: null };
    expect(batchEta(record, inputs, NOW)).toBe(inSeconds(5));
  });

  it('knows before any job finished, from the fleet', () => {
    const record = batch({ queued: 100 });
    expect(batchEta(record, { jobsAhead: 300, slotsPerSecond: 3, modelPerSecond: 2 }, NOW)).toBe(
      inSeconds(100),
    );
  });

  it('falls back to its own pace when the fleet has not measured one', () => {
    // 25 done in 100 s: 75 left take 300 s more.
    const record = batch({ succeeded: 20, failed: 5, queued: 75 }, 100);
    expect(batchEta(record, undefined, NOW)).toBe(inSeconds(300));
    const unmeasured = { jobsAhead: 300, slotsPerSecond: null, modelPerSecond: 2 };
    expect(batchEta(record, unmeasured, NOW)).toBe(inSeconds(300));
    expect(batchEta(batch({ queued: 100 }), unmeasured, NOW)).toBeNull();
  });

  it('is null once the batch is done', () => {
    const inputs = { jobsAhead: 10, slotsPerSecond: 1, modelPerSecond: 1 };
    expect(batchEta({ ...batch({ succeeded: 100 }), status: 'completed' }, inputs, NOW)).toBeNull();
    expect(batchEta({ ...batch({ queued: 100 }), status: 'canceled' }, inputs, NOW)).toBeNull();
  });
});

describe('fleetPace', () => {
  const beat = (concurrency: number, latency: number | null, seenAt: string, pace?: number) => ({
    concurrency,
    latency_ms: latency,
    seen_at: seenAt,
    ...(pace === undefined ? {} : { pace_per_min: { 'imagen-3.0-generate-002': pace } }),
  });

  it("sums each worker's slots over its measured latency, and reads the freshest pace", () => {
    const pace = fleetPace(
      [
        beat(8, 2000, '2026-12-02T12:00:01Z', 120), // 4 jobs a second
        beat(4, 500, '2026-12-02T12:00:03Z', 90), // 8 jobs a second, the freshest reading
        beat(16, null, '2026-12-02T12:00:02Z', 300), // no call measured yet: adds nothing
      ],
      'imagen-3.0-generate-002',
    );
    expect(pace).toEqual({ slotsPerSecond: 12, modelPerSecond: 1.5 });
  });

  it('is null where nothing was measured, or the model has no pace yet', () => {
    expect(fleetPace([], 'imagen-3.0-generate-002')).toEqual({
      slotsPerSecond: null,
      modelPerSecond: null,
    });
    expect(fleetPace([beat(4, 1000, '2026-12-02T12:00:00Z', 60)], 'google/nano-banana-2')).toEqual({
      slotsPerSecond: 4,
      modelPerSecond: null,
    });
  });
});
