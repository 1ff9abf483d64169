import { loadConfig } from '@imagen-queue/shared';
import { createBudgetStore, createRedis } from '@imagen-queue/store';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from '../support/tracking.ts';

const prefix = testPrefix();
const redis = createRedis(
  { url: inject('services').redisUrl, clusterNodes: null, prefix },
  { name: 'budget-test', role: 'worker' },
);
const budgets = createBudgetStore(redis, { prefix });

afterAll(async () => {
  await redis.quit();
});

describe('the budget script', () => {
  it('a tenant daily cap: 100 reservations at once admit exactly what fits', async () => {
    const scope = { tenant: 'daily', batchId: null, dailyCap: 1 };
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => budgets.reserve(scope, 0.04)),
    );
    expect(answers.filter((a) => a.ok)).toHaveLength(25);
    expect(answers.filter((a) => !a.ok).every((a) => !a.ok && a.cap === 'tenant')).toBe(true);
  });

  it('settling with the reported cost frees what was over-reserved; unreported keeps it', async () => {
    const scope = { tenant: 'settle', batchId: null, dailyCap: 0.1 };
    const first = await budgets.reserve(scope, 0.1);
    expect(first.ok).toBe(true);
    expect((await budgets.reserve(scope, 0.01)).ok).toBe(false);
    if (first.ok) await budgets.settle(first.reservation, 0.05);
    const second = await budgets.reserve(scope, 0.05);
    expect(second.ok).toBe(true);
    if (second.ok) await budgets.settle(second.reservation, null);
    expect((await budgets.reserve(scope, 0.01)).ok).toBe(false);
  });

  it('learns a running average per image', async () => {
    expect(await budgets.averagePerImage('m')).toBeNull();
    await budgets.learn('m', 2, 0.08);
    await budgets.learn('m', 1, 0.05);
    expect(await budgets.averagePerImage('m')).toBeCloseTo(0.13 / 3, 9);
  });
});

describe('TENANT_BUDGETS_USD_PER_DAY', () => {
  it('reads tenant=amount and *=amount, and names a bad entry', () => {
    const config = loadConfig({ TENANT_BUDGETS_USD_PER_DAY: 'acme=50,*=10' });
    expect(config.budgets.tenantPerDay).toEqual({ byName: { acme: 50 }, fallback: 10 });
    expect(() => loadConfig({ TENANT_BUDGETS_USD_PER_DAY: 'acme=lots' })).toThrow(
      /TENANT_BUDGETS_USD_PER_DAY: entry 0/,
    );
  });
});
