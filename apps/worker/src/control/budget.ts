import { type AmountTable, amountFor, type JobError, type JobRecord } from '@imagen-queue/contract';
import type { Logger } from '@imagen-queue/shared';
import type { BudgetStore, Reservation } from '@imagen-queue/store';

export interface Budgets {
  store: BudgetStore;
  tenantPerDay: AmountTable;
  pricePerImage: AmountTable;
  /**
   * Batches found to have no `max_cost_usd` (it never changes once a batch exists): with no
   * daily cap for the tenant either, their jobs reserve nothing and skip the round trip.
   */
  uncappedBatches?: Set<string>;
}

/** Enough for the batches a worker is busy with; forgetting one only costs a reservation. */
const UNCAPPED_BATCHES_KEPT = 10_000;

/** True when no cap can apply to the job: its reservation would count nothing. */
function uncapped(job: JobRecord, budgets: Budgets): boolean {
  if (amountFor(budgets.tenantPerDay, job.tenant) !== null) return false;
  return job.batchId !== null && (budgets.uncappedBatches?.has(job.batchId) ?? false);
}

/** A cap is spent: the job is not started (it ends `canceled`, code `budget_exceeded`). */
export class BudgetExceeded extends Error {
  readonly cap: 'batch' | 'tenant';
  constructor(cap: 'batch' | 'tenant') {
    super(
      cap === 'batch'
        ? "the batch's max_cost_usd is spent; the job was not started"
        : "the tenant's daily budget is spent; the job was not started",
    );
    this.name = 'BudgetExceeded';
    this.cap = cap;
  }

  toJobError(): JobError {
    return { code: 'budget_exceeded', message: this.message, retryable: false };
  }
}

/**
 * Reserves what the call is expected to cost (the model's running average per image, else its
 * configured price, else nothing yet) against the batch's and the tenant's caps, before the call.
 */
export async function reserveBudget(
  job: JobRecord,
  budgets: Budgets | undefined,
  average: Promise<number | null> | null = lookUpAverage(job, budgets),
): Promise<Reservation | null> {
  if (!budgets || uncapped(job, budgets)) return null;
  const { model, num_images: images } = job.request;
  const perImage = (await average) ?? amountFor(budgets.pricePerImage, model) ?? 0;
  const answer = await budgets.store.reserve(
    {
      tenant: job.tenant,
      batchId: job.batchId,
      dailyCap: amountFor(budgets.tenantPerDay, job.tenant),
    },
    perImage * images,
  );
  if (!answer.ok) throw new BudgetExceeded(answer.cap);
  if (answer.uncapped) {
    if (job.batchId && budgets.uncappedBatches) {
      if (budgets.uncappedBatches.size >= UNCAPPED_BATCHES_KEPT) budgets.uncappedBatches.clear();
      budgets.uncappedBatches.add(job.batchId);
    }
    return null;
  }
  return answer.reservation;
}

/**
 * The model's running average per image: a read only, so it can go out beside the job's start
 * transition (`reserveBudget` takes the answer). Null without budgets.
 */
export function lookUpAverage(
  job: JobRecord,
  budgets: Budgets | undefined,
): Promise<number | null> | null {
  if (!budgets || uncapped(job, budgets)) return null;
  const average = budgets.store.averagePerImage(job.request.model);
  // Awaited later (or never, when the job does not start): not an unhandled rejection meanwhile.
  average.catch(() => undefined);
  return average;
}

/** Replaces the reservation by the reported cost and teaches the model's running average. */
export async function settleBudget(
  budgets: Budgets | undefined,
  reservation: Reservation | null,
  outcome: { model: string; images: number; usd: number | null },
  log: Logger,
): Promise<void> {
  if (!budgets) return;
  try {
    // Independent writes: together, one round trip's wait instead of two.
    await Promise.all([
      reservation ? budgets.store.settle(reservation, outcome.usd) : null,
      outcome.usd !== null && outcome.images > 0
        ? budgets.store.learn(outcome.model, outcome.images, outcome.usd)
        : null,
    ]);
  } catch (error) {
    log.warn({ err: error }, 'could not settle the budget reservation');
  }
}
