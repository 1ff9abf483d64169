import Type from 'typebox';
import { JobUsage } from '../usage/usage.ts';
import { GenerationParams } from './generation.ts';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];

export const StoredImage = Type.Object({
  key: Type.String(),
  mime_type: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  bytes: Type.Integer(),
  sha256: Type.String(),
});
export type StoredImage = Type.Static<typeof StoredImage>;

/** What the worker records on success; URLs are presigned when the job is read. */
export const StoredResult = Type.Object({
  images: Type.Array(StoredImage),
  enhanced_prompt: Type.Union([Type.String(), Type.Null()]),
  filtered: Type.Integer({ description: 'Images the safety filter withheld' }),
});
export type StoredResult = Type.Static<typeof StoredResult>;

export const JobError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  retryable: Type.Boolean(),
});
export type JobError = Type.Static<typeof JobError>;

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

/** The job as clients see it (contract: "A job"). */
export const Job = Type.Object(
  {
    id: Type.String({ examples: ['job_01jd5q3w4xk8v2m9n7p6r5t4s3'] }),
    batch_id: Type.Union([Type.String(), Type.Null()]),
    status: Type.Enum(JOB_STATUSES),
    attempts: Type.Integer(),
    created_at: Timestamp,
    started_at: NullableTimestamp,
    finished_at: NullableTimestamp,
    request: GenerationParams,
    metadata: Type.Record(Type.String(), Type.Unknown()),
    webhook_url: Type.Union([Type.String(), Type.Null()]),
    priority: Type.Integer(),
    result: Type.Union([
      Type.Object({
        images: Type.Array(Type.Object({ url: Type.String(), ...StoredImage.properties })),
        enhanced_prompt: Type.Union([Type.String(), Type.Null()]),
        filtered: Type.Integer(),
      }),
      Type.Null(),
    ]),
    error: Type.Union([JobError, Type.Null()]),
    usage: JobUsage,
    expires_at: Type.Union([Timestamp, Type.Null()], {
      description:
        'When the stored images may be gone (IMAGE_RETENTION_DAYS after the job finished); null when images are kept or there are none',
    }),
  },
  { $id: 'Job' },
);
export type Job = Type.Static<typeof Job>;
