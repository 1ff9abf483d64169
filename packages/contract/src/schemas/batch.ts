import Type from 'typebox';
import { BATCH_RECORD } from '../records/batch.ts';
import { viewProperties } from '../records/codec.ts';

/** The batch as clients see it (contract: "A batch"): the record's public fields, and its ETA. */
export const Batch = Type.Object(
  {
    ...viewProperties(BATCH_RECORD),
    eta: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description:
        'An estimate of when the batch should be done. `GET /v1/batches/{id}`: from the jobs ' +
        "ahead of its last one in fair-share order and the fleet's measured pace (workers' " +
        "slots at their call latency, its model's provider pace); lists and events, or with no " +
        'worker measured yet: from its own pace since submission. Null when neither is known ' +
        'and once done',
    }),
  },
  { $id: 'Batch' },
);
export type Batch = Type.Static<typeof Batch>;
