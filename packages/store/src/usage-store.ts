import {
  addTotals,
  EMPTY_USAGE,
  redisKeys,
  type UsageTotals,
  usageTotalsFromHash,
} from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.ts';
import { defineScripts } from './scripts.ts';

export interface CallUsage {
  tenant: string;
  jobId: string;
  batchId: string | null;
  model: string;
  /** 1 for a provider call, 0 for images served from the cache. */
  calls: number;
  images: number;
  credits: number | null;
  usd: number | null;
  requestId: string | null;
  cachedFrom?: string;
}

export type UsageGroup = 'day' | 'model';

export interface UsageRow extends UsageTotals {
  day?: string;
  model?: string;
}

export interface UsageStore {
  /** The number of this job's next provider call (1, 2, …): the `<attempt>` of its request id. */
  nextCall(tenant: string, jobId: string): Promise<number>;
  record(usage: CallUsage): Promise<void>;
  /** The tenant's totals per day or per model over `from`..`to` (UTC days, inclusive). */
  totals(tenant: string, from: string, to: string, groupBy: UsageGroup): Promise<UsageRow[]>;
}

/** Tenant days are kept this long, so a year of `GET /v1/usage` is answerable. */
const DAY_RETENTION_SECONDS = 400 * 24 * 3600;

export function createUsageStore(redis: RedisClient, options: { prefix: string }): UsageStore {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  const scripts = defineScripts<{ record(...args: string[]): Promise<number> }>(redis, {
    record: { file: 'record-usage', keys: 3 },
  });
  return {
    nextCall: (tenant, jobId) => client.hincrby(keys.job(tenant, jobId), 'usage_seq', 1),
    async record(u) {
      await scripts.record(
        keys.job(u.tenant, u.jobId),
        keys.batch(u.tenant, u.batchId ?? '-'),
        keys.usageDay(u.tenant, utcDay(new Date())),
        String(u.calls),
        String(u.images),
        u.credits === null ? '' : String(u.credits),
        u.usd === null ? '' : String(u.usd),
        u.requestId ?? '',
        u.model,
        u.batchId ? '1' : '0',
        String(DAY_RETENTION_SECONDS),
        u.cachedFrom ?? '',
      );
    },
    async totals(tenant, from, to, groupBy) {
      const days = daysBetween(from, to);
      const pipeline = client.pipeline();
      for (const day of days) pipeline.hgetall(keys.usageDay(tenant, day));
      // A pipeline reports each command's error beside its value: an unreachable Redis must
      // surface as the store's error (503), never as empty totals.
      const hashes = ((await pipeline.exec()) ?? []).map(([error, value]) => {
        if (error) throw error;
        return (value ?? {}) as Record<string, string>;
      });
      const groups = new Map<string, UsageTotals>();
      hashes.forEach((hash, i) => {
        for (const model of modelsIn(hash)) {
          const key = groupBy === 'day' ? days[i]! : model;
          const totals = usageTotalsFromHash(hash, `${model}|`);
          groups.set(key, addTotals(groups.get(key) ?? EMPTY_USAGE, totals));
        }
      });
      return [...groups].map(([key, totals]) => ({ [groupBy]: key, ...totals }));
    },
  };
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Every UTC day from `from` to `to`, inclusive (both `YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000) {
    days.push(utcDay(new Date(t)));
  }
  return days;
}

function modelsIn(hash: Record<string, string>): string[] {
  const models = new Set<string>();
  for (const field of Object.keys(hash)) {
    const bar = field.lastIndexOf('|');
    if (bar > 0) models.add(field.slice(0, bar));
  }
  return [...models].sort();
}
