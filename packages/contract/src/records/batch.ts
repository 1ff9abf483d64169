import Type from 'typebox';
import { EMPTY_USAGE, UsageTotals, usageTotalsFromHash } from '../usage.ts';
import { counter, defineRecord, field, json, nullableText, type RecordOf, text } from './codec.ts';
import { Metadata, Timestamp } from './job.ts';

export const BATCH_STATUSES = ['queued', 'running', 'completed', 'canceled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

const COUNTS = ['total', 'queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export const BatchCounts = Type.Object(
  Object.fromEntries(COUNTS.map((name) => [name, Type.Integer()])) as {
    [K in (typeof COUNTS)[number]]: Type.TInteger;
  },
);
export type BatchCounts = Type.Static<typeof BatchCounts>;

/**
 * A batch as stored; its counts are kept by every job transition (`transition.lua`), never by
 * scanning, its usage by every call (`record-usage.lua`). Each field is declared here once; the
 * record's type, its hash encoding and the public fields of the `Batch` view derive from it.
 */
export const BATCH_RECORD = defineRecord({
  id: text('id', Type.String({ examples: ['bat_01jd5q3w4xk8v2m9n7p6r5t4s3'] }), true),
  tenant: text('tenant', Type.String(), false),
  status: text('status', Type.Enum(BATCH_STATUSES), true),
  /** One hash field per count, so that a transition moves them with `HINCRBY`. */
  counts: field({
    name: 'counts',
    schema: BatchCounts,
    view: true,
    encode: (counts, hash) => {
      for (const name of COUNTS) hash[name] = String(counts[name]);
    },
    decode: (hash) =>
      Object.fromEntries(COUNTS.map((name) => [name, Number(hash[name] ?? 0)])) as BatchCounts,
  }),
  createdAt: text('created_at', Timestamp, true),
  finishedAt: nullableText('finished_at', Timestamp, true),
  metadata: json('metadata', Metadata, true, { empty: {} }),
  webhookUrl: nullableText('webhook_url', Type.String(), true),
  /** How many times every job of the batch has been terminal (a retry reopens it). */
  completions: counter('completions', false),
  /** The batch's spend cap (USD), if it set one. */
  maxCostUsd: field({
    name: 'max_cost_usd',
    schema: Type.Union([Type.Number(), Type.Null()]),
    view: true,
    encode: (max, hash) => {
      if (max !== null) hash.max_cost_usd = String(max);
    },
    decode: (hash) => (hash.max_cost_usd ? Number(hash.max_cost_usd) : null),
  }),
  /** Why jobs were left unstarted: a cap was spent (`budget.lua` sets `budget_exhausted`). */
  stopReason: field({
    name: 'stop_reason',
    schema: Type.Union([Type.Literal('budget_exceeded'), Type.Null()], {
      description: 'Why jobs were left unstarted (`canceled` with this error code)',
    }),
    view: true,
    encode: () => {},
    decode: (hash) => (hash.budget_exhausted === '1' ? ('budget_exceeded' as const) : null),
  }),
  /** Summed by every call's `record-usage.lua`, never written with the record. */
  usage: field({
    name: 'usage',
    schema: UsageTotals,
    view: true,
    encode: () => {},
    decode: (hash) => usageTotalsFromHash(hash),
  }),
});
export type BatchRecord = RecordOf<typeof BATCH_RECORD.fields>;

/** A new batch as it is first stored: every job queued, nothing spent. */
export function newBatchRecord(
  batch: Pick<BatchRecord, 'id' | 'tenant' | 'metadata' | 'webhookUrl' | 'maxCostUsd'>,
  jobCount: number,
  createdAt = new Date().toISOString(),
): BatchRecord {
  return {
    ...batch,
    status: 'queued',
    counts: { total: jobCount, queued: jobCount, running: 0, succeeded: 0, failed: 0, canceled: 0 },
    createdAt,
    finishedAt: null,
    completions: 0,
    stopReason: null,
    usage: EMPTY_USAGE,
  };
}
