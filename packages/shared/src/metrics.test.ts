import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics, METRIC_NAMES } from './metrics.ts';

describe('createMetrics', () => {
  it('registers every metric named in METRIC_NAMES on its own registry', async () => {
    const metrics = createMetrics(undefined, { defaultMetrics: false });
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.sort()).toEqual(Object.values(METRIC_NAMES).sort());
    // A second set does not collide: each process (and test) has its own registry.
    expect(() => createMetrics(undefined, { defaultMetrics: false })).not.toThrow();
  });

  it('reads queue counts and the limiter rate at scrape time', async () => {
    const metrics = createMetrics(undefined, { defaultMetrics: false });
    let waiting = 3;
    metrics.watchQueue('generation', async () => ({ waiting, active: 1 }));
    metrics.watchRateLimit(async () => 120);
    expect(await metrics.registry.metrics()).toContain(
      'imagen_queue_jobs{queue="generation",state="waiting"} 3',
    );
    waiting = 0;
    const text = await metrics.registry.metrics();
    expect(text).toContain('imagen_queue_jobs{queue="generation",state="waiting"} 0');
    expect(text).toContain('imagen_queue_jobs{queue="generation",state="active"} 1');
    expect(text).toContain('imagen_queue_provider_rate_limit_per_minute 120');
  });

  it('a failing count source does not fail the scrape', async () => {
    const metrics = createMetrics(undefined, { defaultMetrics: false });
    metrics.watchQueue('generation', async () => {
      throw new Error('redis down');
    });
    await expect(metrics.registry.metrics()).resolves.toContain('# TYPE imagen_queue_jobs gauge');
  });

  it('the Grafana dashboard queries only metrics that exist', async () => {
    const dashboard = readFileSync(
      new URL('../../../ops/grafana/imagen-queue.json', import.meta.url),
      'utf8',
    );
    const used = new Set(
      [...dashboard.matchAll(/imagen_queue_\w+/g)].map(([name]) =>
        name.replace(/_(bucket|count|sum)$/, ''),
      ),
    );
    const metrics = createMetrics();
    const known = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
    for (const name of Object.values(METRIC_NAMES)) expect(used).toContain(name);
  });
});
