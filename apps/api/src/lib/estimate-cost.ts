import { amountFor, type GenerationParams } from '@imagen-queue/contract';
import type { Config } from '@imagen-queue/shared';
import type { BudgetStore } from '@imagen-queue/store';
import { badRequest } from './problem-error.ts';

/**
 * A batch's expected cost: each model's running average per image (else its configured price)
 * times the images asked for. `null` when some model has neither: no estimate, no refusal.
 */
export async function estimateCost(
  budgets: BudgetStore,
  config: Config,
  jobs: GenerationParams[],
): Promise<number | null> {
  const prices = new Map<string, number | null>();
  let total = 0;
  for (const job of jobs) {
    if (!prices.has(job.model)) {
      const average = await budgets.averagePerImage(job.model);
      prices.set(job.model, average ?? amountFor(config.budgets.pricePerImage, job.model));
    }
    const price = prices.get(job.model);
    if (price === null || price === undefined) return null;
    total += price * job.num_images;
  }
  return total;
}

/** The 400 of a batch that would cost more than its own cap before it starts. */
export async function checkBatchBudget(
  budgets: BudgetStore,
  config: Config,
  jobs: GenerationParams[],
  maxCostUsd: number | undefined,
): Promise<void> {
  if (maxCostUsd === undefined) return;
  const estimate = await estimateCost(budgets, config, jobs);
  if (estimate !== null && estimate > maxCostUsd) {
    throw badRequest(
      `the batch is estimated at ${estimate.toFixed(4)} USD, over its max_cost_usd`,
      [{ path: '/max_cost_usd', message: `must be at least the estimate, ${estimate.toFixed(4)}` }],
    );
  }
}
