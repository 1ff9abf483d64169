import {
  ControlFields,
  GenerationFields,
  JOB_ID_PATTERN,
  modelUnion,
} from '@imagen-queue/contract';
import Type from 'typebox';

/** What a submission may carry besides the generation parameters (jobs and batches alike). */
export const SubmissionExtras = {
  webhook_url: Type.Optional(
    Type.String({ format: 'uri', maxLength: 2048, description: 'http(s) URL for signed events' }),
  ),
  metadata: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: 'Free-form, at most 4 KiB' }),
  ),
};

const JobExtras = {
  ...SubmissionExtras,
  ...ControlFields,
  priority: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      description:
        "Express: runs ahead of your own jobs queued without one, within your tenant's fair " +
        'share (the value does not order express jobs among themselves)',
    }),
  ),
};

/** A job: one model's parameters (the union the OpenAPI document shows) plus the extras. */
export const JobSubmission = modelUnion(
  JobExtras,
  Type.Object({ ...GenerationFields, ...JobExtras }, { additionalProperties: false }),
);
export type JobSubmission = Type.Static<typeof JobSubmission>;

export const JobParams = Type.Object({ id: Type.String({ pattern: JOB_ID_PATTERN }) });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'Replays the first answer for 24 h' }),
  ),
});
