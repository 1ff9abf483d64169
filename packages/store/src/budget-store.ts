import { redisKeys } from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import { coalesceBy } from './coalesce.ts';
import type { RedisClient } from './redis.ts';
import { defineScripts } from './scripts.ts';
import { utcDay } from './usage-store.ts';

export interface BudgetScope {
  tenant: string;
  batchId: string | null;
  /** The tenant's daily cap in USD; null = none. */
  dailyCap: number | null;
}

/** A reservation held for one call, to be settled with what the call actually cost. */
export interface Reservation {
  scope: BudgetScope;
  day: string;
  reservedUsd: number;
}

export interface BudgetStore {
  /** Reserves `expectedUsd`; `batch` / `tenant` when that cap is spent (nothing is reserved). */
  reserve(
    scope: BudgetScope,
    expectedUsd: number,
  ): Promise<
    | { ok: true; reservation: Reservation; uncapped: boolean }
    | { ok: false; cap: 'batch' | 'tenant' }
  >;
  /** Replaces the reservation by the reported cost; unreported (null) keeps the reservation. */
  settle(reservation: Reservation, actualUsd: number | null): Promise<void>;
  /** USD per image the model has cost on average so far (all tenants); null before any call. */
  averagePerImage(model: string): Promise<number | null>;
  /** Adds a reported call to the model's running average. */
  learn(model: string, images: number, usd: number): Promise<void>;
  /** Whether a batch stopped because a cap was spent (its `batch.completed` says so). */
  exhausted(tenant: string, batchId: string): Promise<boolean>;
}

interface BudgetScripts {
  budget(...args: string[]): Promise<string>;
  learnCost(key: string, images: string, usd: string): Promise<number>;
}

const DAY_RETENTION_SECONDS = 3 * 86_400;

/** What finished calls of one model cost: images and USD, summed when lessons merge. */
interface Lesson {
  images: number;
  usd: number;
}

export function createBudgetStore(redis: RedisClient, options: { prefix: string }): BudgetStore {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  const scripts = defineScripts<BudgetScripts>(redis, {
    budget: { file: 'budget', keys: 2 },
    learnCost: { file: 'budget-learn', keys: 1 },
  });
  // The model's cost average is taught one script at a time per model: what calls report while
  // one lesson is on its way goes in the next as one sum (the average is a sum of images and a
  // sum of USD, so merged lessons teach it the same). Each caller waits for the lesson that
  // carried its cost. One script, not a MULTI: ioredis writes each command of a MULTI apart.
  const teach = coalesceBy(
    (a: Lesson, b: Lesson) => ({ images: a.images + b.images, usd: a.usd + b.usd }),
    (model, lesson) =>
      scripts.learnCost(keys.costAverage(model), String(lesson.images), String(lesson.usd)),
  );
  const run = (scope: BudgetScope, day: string, op: string, amount: number) =>
    scripts.budget(
      keys.batch(scope.tenant, scope.batchId ?? '-'),
      keys.budgetDay(scope.tenant, day),
      op,
      String(amount),
      scope.batchId ? '1' : '0',
      scope.dailyCap === null ? '' : String(scope.dailyCap),
      String(DAY_RETENTION_SECONDS),
    );
  return {
    async reserve(scope, expectedUsd) {
      const day = utcDay(new Date());
      const answer = await run(scope, day, 'reserve', expectedUsd);
      if (answer === 'batch' || answer === 'tenant') return { ok: false, cap: answer };
      // Neither cap applies: nothing was counted, so there is nothing to settle either.
      const uncapped = answer === 'uncapped';
      return {
        ok: true,
        reservation: { scope, day, reservedUsd: uncapped ? 0 : expectedUsd },
        uncapped,
      };
    },
    async settle(reservation, actualUsd) {
      if (actualUsd === null) return;
      const delta = actualUsd - reservation.reservedUsd;
      if (delta !== 0) await run(reservation.scope, reservation.day, 'settle', delta);
    },
    async averagePerImage(model) {
      const [images, usd] = await client.hmget(keys.costAverage(model), 'images', 'usd');
      const n = Number(images ?? 0);
      return n > 0 ? Number(usd) / n : null;
    },
    async learn(model, images, usd) {
      if (images <= 0) return;
      await teach(model, { images, usd });
    },
    async exhausted(tenant, batchId) {
      return (await client.hget(keys.batch(tenant, batchId), 'budget_exhausted')) === '1';
    },
  };
}
