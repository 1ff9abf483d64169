import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '@imagen-queue/shared';
import type { Redis } from 'ioredis';

const ACQUIRE = readFileSync(new URL('./lua/limiter-acquire.lua', import.meta.url), 'utf8');
const FEEDBACK = readFileSync(new URL('./lua/limiter-feedback.lua', import.meta.url), 'utf8');

export interface LimiterOptions {
  prefix: string;
  /** Calls per minute the fleet starts at, before any 429 has taught it the real limit. */
  initialPerMin: number;
  /** Never more than this, whatever the provider accepts. */
  ceilingPerMin: number | null;
  /** @defaultValue 6 calls per minute */
  floorPerMin?: number;
}

/**
 * The provider's quota is shared by every worker process, and Google's 429s usually carry no
 * Retry-After, so the pace is kept in Redis: each call reserves a send slot (`acquire`), and
 * each answer adjusts the rate (`record`): down to the measured limit on a 429, slowly up
 * otherwise, so the fleet settles just under the provider's real limit.
 */
export interface ProviderLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
  record(outcome: 'ok' | 'limited'): Promise<void>;
  /** The current rate, calls per minute (for metrics). */
  currentRate(): Promise<number>;
}

interface LimiterCommands {
  iqLimiterAcquire(key: string, now: string, initial: string): Promise<[number, string]>;
  iqLimiterFeedback(...args: string[]): Promise<string>;
}

export function createProviderLimiter(
  redis: RedisClient,
  options: LimiterOptions,
): ProviderLimiter {
  const client = redis as Redis;
  if (!('iqLimiterAcquire' in client)) {
    client.defineCommand('iqLimiterAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    client.defineCommand('iqLimiterFeedback', { numberOfKeys: 2, lua: FEEDBACK });
  }
  const commands = client as unknown as LimiterCommands;
  // One hash tag for the limiter's keys: its scripts touch them together.
  const stateKey = `${options.prefix}:{limiter}:provider`;
  const okPrefix = `${options.prefix}:{limiter}:provider:ok:`;
  const initial = String(options.initialPerMin);
  return {
    async acquire(signal) {
      for (;;) {
        const [wait, cut] = await commands.iqLimiterAcquire(stateKey, String(Date.now()), initial);
        if (wait <= 0) return;
        await sleep(wait, undefined, signal ? { signal } : {});
        // A 429 while we slept cut the rate: our slot was booked at the old pace.
        if (((await client.hget(stateKey, 'last_cut')) ?? '0') === cut) return;
      }
    },
    async record(outcome) {
      await commands.iqLimiterFeedback(
        stateKey,
        okPrefix,
        String(Date.now()),
        outcome,
        initial,
        String(options.ceilingPerMin ?? 0),
        String(options.floorPerMin ?? 6),
      );
    },
    async currentRate() {
      return Number((await client.hget(stateKey, 'rate')) ?? options.initialPerMin);
    },
  };
}
