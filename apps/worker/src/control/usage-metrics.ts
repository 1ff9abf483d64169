import type { Metrics } from '@imagen-queue/shared';
import { Counter } from 'prom-client';

export const USAGE_METRIC_NAMES = {
  costUsd: 'imagen_queue_provider_cost_usd_total',
  credits: 'imagen_queue_provider_credits_total',
} as const;

export interface UsageMetrics {
  costUsd: Counter<'model'>;
  credits: Counter<'model'>;
}

const byRegistry = new WeakMap<object, UsageMetrics>();

/** The cost counters, on the worker's registry; created on first use so main.ts needs no change. */
export function usageMetrics(metrics: Metrics | undefined): UsageMetrics | null {
  if (!metrics) return null;
  let found = byRegistry.get(metrics.registry);
  if (!found) {
    const registers = [metrics.registry];
    found = {
      costUsd: new Counter({
        name: USAGE_METRIC_NAMES.costUsd,
        help: 'USD the provider reported for its calls',
        labelNames: ['model'] as const,
        registers,
      }),
      credits: new Counter({
        name: USAGE_METRIC_NAMES.credits,
        help: 'Credits the provider reported for its calls',
        labelNames: ['model'] as const,
        registers,
      }),
    };
    byRegistry.set(metrics.registry, found);
  }
  return found;
}
