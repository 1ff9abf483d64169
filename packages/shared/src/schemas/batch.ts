import Type from 'typebox';
import { BATCH_STATUSES } from '../batch-store.ts';
import { UsageTotals } from '../usage/usage.ts';

export const BatchCountsSchema = Type.Object({
  total: Type.Integer(),
  queued: Type.Integer(),
  running: Type.Integer(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  canceled: Type.Integer(),
});

/** The batch as clients see it (contract: "A batch"); its counts are live. */
export const Batch = Type.Object(
  {
    id: Type.String({ examples: ['bat_01jd5q3w4xk8v2m9n7p6r5t4s3'] }),
    status: Type.Enum(BATCH_STATUSES),
    counts: BatchCountsSchema,
    created_at: Type.String({ format: 'date-time' }),
    finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    webhook_url: Type.Union([Type.String(), Type.Null()]),
    usage: UsageTotals,
    eta: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description:
        'An estimate of when the batch should be done. `GET /v1/batches/{id}`: from the jobs ' +
        "ahead of its last one in fair-share order and the fleet's measured pace (workers' " +
        "slots at their call latency, its model's provider pace); lists and events, or with no " +
        'worker measured yet: from its own pace since submission. Null when neither is known ' +
        'and once done',
    }),
    max_cost_usd: Type.Union([Type.Number(), Type.Null()]),
    stop_reason: Type.Union([Type.Literal('budget_exceeded'), Type.Null()], {
      description: 'Why jobs were left unstarted (`canceled` with this error code)',
    }),
  },
  { $id: 'Batch' },
);
export type Batch = Type.Static<typeof Batch>;
