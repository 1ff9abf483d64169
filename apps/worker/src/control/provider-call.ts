import type { JobRecord } from '@imagen-queue/contract';
import {
  clientRequestId,
  type GenerationResult,
  type ImagenClient,
  ProviderError,
  type ProviderUsage,
} from '@imagen-queue/imagen';
import type { Logger, Metrics } from '@imagen-queue/shared';
import type { Reservation, UsageStore } from '@imagen-queue/store';
import { type Budgets, settleBudget } from './budget.ts';

export interface ProviderCallContext {
  imagen: ImagenClient;
  usage?: UsageStore;
  metrics?: Metrics;
  log: Logger;
  signal: AbortSignal;
  budgets?: Budgets;
}

/** The number of the job's next call (`X-Client-Request-Id: <job>.<n>`), counted in Redis. */
export function numberCall(job: JobRecord, ctx: Pick<ProviderCallContext, 'usage'>) {
  // Without a usage store (a fake ctx), the attempt being started numbers the call.
  if (!ctx.usage) return Promise.resolve(job.attempts + 1);
  const call = ctx.usage.nextCall(job.tenant, job.id);
  // Awaited once the send slot is ours (or never, when the wait is aborted).
  call.catch(() => undefined);
  return call;
}

/**
 * One provider call carrying `X-Client-Request-Id: <job id>.<call>` (`call` counts every call of
 * the job, 429s too, which use no BullMQ attempt, so no two calls share an id), its reported cost
 * added to job, batch and tenant. A successful call's cost is written in the background:
 * `accounted` settles once it is (it never rejects), and the caller awaits it before the job's
 * outcome is written.
 */
export async function callProvider(
  job: JobRecord,
  ctx: ProviderCallContext,
  reservation: Reservation | null = null,
  callNumber: Promise<number> = numberCall(job, ctx),
): Promise<{ result: GenerationResult; accounted: Promise<void> }> {
  const call = await callNumber;
  const requestId = clientRequestId(job.id, call);
  let result: GenerationResult;
  try {
    result = await ctx.imagen.generate(job.request, { signal: ctx.signal, requestId });
  } catch (error) {
    // An answer that never came (network, timeout) may still be billed; it is counted as a call
    // whose cost is unknown (null), not as free.
    const usage = (error instanceof ProviderError ? error.usage : null) ?? nullUsage;
    await record(job, ctx, requestId, 0, usage);
    // An error answer without a reported cost is not billed; a lost answer may have been.
    const answered = error instanceof ProviderError && error.status !== null;
    const usd = usage.usd ?? (answered ? 0 : null);
    await settleBudget(
      ctx.budgets,
      reservation,
      { model: job.request.model, images: 0, usd },
      ctx.log,
    );
    throw error;
  }
  const usage = result.usage ?? nullUsage;
  // Independent writes, neither of which throws: together, and beside the upload.
  const accounted = Promise.all([
    record(job, ctx, requestId, result.images.length, usage),
    settleBudget(
      ctx.budgets,
      reservation,
      { model: job.request.model, images: result.images.length, usd: usage.usd },
      ctx.log,
    ),
  ]).then(() => undefined);
  return { result, accounted };
}

const nullUsage: ProviderUsage = { credits: null, usd: null };

async function record(
  job: JobRecord,
  ctx: ProviderCallContext,
  requestId: string,
  images: number,
  usage: ProviderUsage,
): Promise<void> {
  const model = job.request.model;
  if (usage.usd !== null) ctx.metrics?.providerCostUsd.inc({ model }, usage.usd);
  if (usage.credits !== null) ctx.metrics?.providerCredits.inc({ model }, usage.credits);
  if (!ctx.usage) return;
  try {
    await ctx.usage.record({
      tenant: job.tenant,
      jobId: job.id,
      batchId: job.batchId,
      model,
      calls: 1,
      images,
      credits: usage.credits,
      usd: usage.usd,
      requestId,
    });
  } catch (error) {
    // The call is made and paid for; failing the job now would only make it pay again.
    ctx.log.error({ err: error, requestId }, 'could not record provider usage');
  }
}
