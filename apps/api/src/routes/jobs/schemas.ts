import { GenerationFields, JOB_ID_PATTERN } from '@imagen-queue/shared';
import Type from 'typebox';

export const METADATA_MAX_BYTES = 4096;

export const JobSubmission = Type.Object(
  {
    ...GenerationFields,
    webhook_url: Type.Optional(Type.String({ format: 'uri', maxLength: 2048 })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    priority: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: '1 runs first (BullMQ order)' }),
    ),
  },
  { additionalProperties: false },
);
export type JobSubmission = Type.Static<typeof JobSubmission>;

export const JobParams = Type.Object({ id: Type.String({ pattern: JOB_ID_PATTERN }) });
