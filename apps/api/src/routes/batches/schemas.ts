import {
  BATCH_ID_PATTERN,
  ControlFields,
  GenerationFields,
  JOB_STATUSES,
} from '@imagen-queue/contract';
import Type from 'typebox';
import { SubmissionExtras } from '../jobs/schemas.ts';

export const BATCH_MAX_JOBS = 10_000;

/**
 * One line of a batch: generation parameters; `defaults` fill what a line leaves out. The
 * schema's own defaults are left out here, or they would win over the batch's `defaults`; they
 * are applied when each merged line is resolved.
 */
const fieldsWithoutDefaults = Object.fromEntries(
  Object.entries({ ...GenerationFields, prompt: Type.Optional(GenerationFields.prompt) }).map(
    ([name, schema]) => {
      const { default: _default, ...rest } = schema as typeof schema & { default?: unknown };
      return [name, Type.Optional(rest as typeof schema)];
    },
  ),
) as unknown as typeof GenerationFields;

export const BatchJobInput = Type.Object(
  { ...fieldsWithoutDefaults, prompt: Type.Optional(GenerationFields.prompt) },
  { additionalProperties: false },
);

export const BatchSubmission = Type.Object(
  {
    jobs: Type.Array(BatchJobInput, { minItems: 1, maxItems: BATCH_MAX_JOBS }),
    defaults: Type.Optional(BatchJobInput),
    ...SubmissionExtras,
    ...ControlFields,
    max_cost_usd: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Spend cap: once reached, jobs not started end `budget_exceeded`',
      }),
    ),
  },
  { additionalProperties: false },
);
export type BatchSubmission = Type.Static<typeof BatchSubmission>;

/** With an NDJSON body, the batch's own fields come in the query string. */
export const NdjsonQuery = Type.Object({
  webhook_url: Type.Optional(Type.String({ format: 'uri', maxLength: 2048 })),
});

export const BatchParams = Type.Object({ id: Type.String({ pattern: BATCH_ID_PATTERN }) });

export const BatchJobsQuery = Type.Object({
  status: Type.Optional(Type.Enum(JOB_STATUSES)),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: 'From next_cursor' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
