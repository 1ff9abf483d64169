import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisKeys } from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import { coalesceBy } from './coalesce.ts';
import type { RedisClient } from './redis.ts';
import { defineScripts } from './scripts.ts';

export interface LimiterOptions {
  prefix: string;
  /** Calls per minute the fleet starts at, before any 429 has taught it the real limit. */
  initialPerMin: number;
  /** Never more than this, whatever the provider accepts. */
  ceilingPerMin: number | null;
  /** @defaultValue 6 calls per minute */
  floorPerMin?: number;
  /** The provider's quota window; every rate above is per this window. @defaultValue 60000 */
  windowMs?: number;
}

/** How the provider answered a call: `limited` for a 429, `ok` for anything it counted. */
export type ProviderOutcome = 'ok' | 'limited';

/**
 * The provider's quota is shared by every worker process, and Google's 429s usually carry no
 * Retry-After, so the pace is kept in Redis. `acquire` waits for a send slot and returns the
 * function that reports how the provider answered that call: a 429 teaches the limiter the
 * provider's real limit (what it accepted in the last minute), anything else probes up slowly,
 * so the fleet settles just under the limit with few 429s.
 */
export interface ProviderLimiter {
  acquire(
    signal?: AbortSignal,
    options?: AcquireOptions,
  ): Promise<(outcome: ProviderOutcome) => Promise<void>>;
  /** The current rate of one model (none: the unnamed pace), calls per minute. */
  currentRate(model?: string): Promise<number>;
  /** The fleet's pace of every model that has been called, calls per minute. */
  paces(): Promise<Record<string, number>>;
}

export interface AcquireOptions {
  /** The model called: each model has its own pace (quotas are per model). */
  model?: string;
  /** Awaited before every ask for a slot: holds the call back while this worker can't take it. */
  ready?: () => Promise<void>;
}

/** The pace of calls that name no model (the limiter's tests). */
const UNNAMED = '';

interface LimiterScripts {
  acquire(...args: string[]): Promise<number>;
  feedback(...args: string[]): Promise<string>;
}

/** A waiter re-asks at least this often, so a rate raised meanwhile is noticed. */
const MAX_WAIT_MS = 1000;

export function createProviderLimiter(
  redis: RedisClient,
  options: LimiterOptions,
): ProviderLimiter {
  const client = redis as Redis;
  const scripts = defineScripts<LimiterScripts>(redis, {
    acquire: { file: 'limiter-acquire', keys: 3 },
    feedback: { file: 'limiter-feedback', keys: 2 },
  });
  const keys = redisKeys(options.prefix);
  const named = (model: string) => (model === UNNAMED ? undefined : model);
  const stateKey = (model: string) => keys.limiterState(named(model));
  const windowKey = (model: string) => keys.limiterWindow(named(model));
  const modelsKey = keys.limiterModels();
  const initial = String(options.initialPerMin);
  const windowMs = String(options.windowMs ?? 60_000);
  const feedback = (model: string, outcome: ProviderOutcome, token: string, calls: number) =>
    scripts.feedback(
      stateKey(model),
      windowKey(model),
      String(Date.now()),
      outcome,
      token,
      initial,
      String(options.ceilingPerMin ?? 0),
      String(options.floorPerMin ?? 6),
      windowMs,
      String(calls),
    );
  // An accepted call only nudges the pace up (its token plays no part): the 'ok's that arrive
  // while one is being reported go together in the next report, one round trip for many calls.
  const reportOks = coalesceBy(
    (a: number, b: number) => a + b,
    (model, calls) => feedback(model, 'ok', '', calls),
  );
  const reportOk = (model: string) => reportOks(model, 1);
  return {
    async acquire(signal, acquireOptions = {}) {
      const model = acquireOptions.model ?? UNNAMED;
      const token = `${Date.now()}-${randomBytes(6).toString('hex')}`;
      for (;;) {
        signal?.throwIfAborted();
        await acquireOptions.ready?.();
        const wait = await scripts.acquire(
          stateKey(model),
          windowKey(model),
          modelsKey,
          String(Date.now()),
          initial,
          token,
          windowMs,
          model,
        );
        if (wait <= 0) break;
        await sleep(Math.min(wait, MAX_WAIT_MS), undefined, signal ? { signal } : {});
      }
      return async (outcome) => {
        if (outcome === 'ok') await reportOk(model);
        else await feedback(model, outcome, token, 1);
      };
    },
    async currentRate(model = UNNAMED) {
      return Number((await client.hget(stateKey(model), 'rate')) ?? options.initialPerMin);
    },
    async paces() {
      const models = (await client.smembers(modelsKey)).sort();
      if (models.length === 0) return {};
      const pipeline = client.pipeline();
      for (const model of models) pipeline.hget(stateKey(model), 'rate');
      const rates = (await pipeline.exec()) ?? [];
      const paces: Record<string, number> = {};
      models.forEach((model, i) => {
        const value = rates[i]?.[1];
        // A model whose state expired starts again from the initial pace.
        paces[model || 'default'] = value == null ? options.initialPerMin : Number(value);
      });
      return paces;
    },
  };
}
