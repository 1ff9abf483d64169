import Type, { type Static } from 'typebox';
import { DEFAULT_CONTROL, JobControl, parseControl, serializeControl } from '../control/control.ts';
import { imageKey } from '../images.ts';
import { GenerationParams } from '../schemas/generation.ts';
import { JobUsage, jobUsageFromHash } from '../usage.ts';
import {
  counter,
  defineRecord,
  field,
  joinField,
  json,
  nullableText,
  type RecordOf,
  splitField,
  text,
} from './codec.ts';

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
export type StoredImage = Static<typeof StoredImage>;

/** What the worker records on success; URLs are presigned when the job is read. */
export const StoredResult = Type.Object({
  images: Type.Array(StoredImage),
  enhanced_prompt: Type.Union([Type.String(), Type.Null()]),
  filtered: Type.Integer({ description: 'Images the safety filter withheld' }),
});
export type StoredResult = Static<typeof StoredResult>;

export const JobError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  retryable: Type.Boolean(),
});
export type JobError = Static<typeof JobError>;

export const Timestamp = Type.String({ format: 'date-time' });
export const Metadata = Type.Record(Type.String(), Type.Unknown());

type ImageOwner = { tenant: string; batchId: string | null; id: string };

/**
 * A job as stored: the Redis hash behind `GET /v1/jobs/{id}`. Each field is declared here once;
 * the record's type, its hash encoding and the public fields of the `Job` view derive from it.
 */
export const JOB_RECORD = defineRecord({
  id: text('id', Type.String({ examples: ['job_01jd5q3w4xk8v2m9n7p6r5t4s3'] }), true),
  tenant: text('tenant', Type.String(), false),
  batchId: nullableText('batch_id', Type.String(), true),
  status: text('status', Type.Enum(JOB_STATUSES), true),
  attempts: counter('attempts', true),
  createdAt: text('created_at', Timestamp, true),
  startedAt: nullableText('started_at', Timestamp, true),
  finishedAt: nullableText('finished_at', Timestamp, true),
  request: json('request', GenerationParams, true, { chunked: true }),
  metadata: json('metadata', Metadata, true, { empty: {}, chunked: true }),
  webhookUrl: nullableText('webhook_url', Type.String(), true),
  priority: counter('priority', true),
  /** The view shows it with a presigned URL per image (`toJobView`). */
  result: field({
    name: 'result',
    schema: Type.Union([StoredResult, Type.Null()]),
    view: false,
    encode: (result, hash, record) => {
      if (result) splitField('result', packResult(result, record as ImageOwner), false, hash);
    },
    decode: (hash) =>
      unpackResult(joinField(hash, 'result'), {
        tenant: hash.tenant!,
        batchId: hash.batch_id || null,
        id: hash.id!,
      }),
  }),
  error: json('error', Type.Union([JobError, Type.Null()]), true, { empty: null }),
  /** Kept by the usage store (`record-usage.lua`), never written with the record. */
  usage: field({
    name: 'usage',
    schema: Type.Optional(JobUsage),
    view: false,
    encode: () => {},
    decode: jobUsageFromHash,
  }),
  /** Deadline and cache choice; absent = start whenever, cache allowed. */
  control: field({
    name: 'control',
    schema: Type.Optional(JobControl),
    view: false,
    encode: (control, hash) => {
      const value = serializeControl(control);
      if (value) hash.control = value;
    },
    decode: (hash) => (hash.control ? parseControl(hash.control) : DEFAULT_CONTROL),
  }),
  /** How many times the job has reached a terminal state (kept by `transition.lua`). */
  terminalCount: field({
    name: 'terminal_count',
    schema: Type.Optional(Type.Integer()),
    view: false,
    encode: () => {},
    decode: (hash) => (hash.terminal_count ? Number(hash.terminal_count) : undefined),
  }),
});
export type JobRecord = RecordOf<typeof JOB_RECORD.fields>;

/** What a submission decides of a new job; the rest starts at its default. */
export type NewJob = Pick<
  JobRecord,
  'id' | 'tenant' | 'batchId' | 'request' | 'metadata' | 'webhookUrl' | 'priority' | 'control'
>;

/** A new job as it is first stored: queued, no attempt yet. */
export function newJobRecord(job: NewJob, createdAt = new Date().toISOString()): JobRecord {
  return {
    ...job,
    status: 'queued',
    attempts: 0,
    createdAt,
    startedAt: null,
    finishedAt: null,
    result: null,
    error: null,
  };
}

/**
 * A result as stored: an image's `key` and `mime_type` are left out where they are what
 * `imageKey` and PNG make them (every image we store), about 100 bytes an image.
 */
export function packResult(result: StoredResult, owner: ImageOwner): string {
  return JSON.stringify({
    ...result,
    images: result.images.map((image, index) => {
      const { key, mime_type, ...rest } = image;
      return {
        ...(key === imageKey(owner.tenant, owner.batchId, owner.id, index) ? {} : { key }),
        ...(mime_type === 'image/png' ? {} : { mime_type }),
        ...rest,
      };
    }),
  });
}

/** The stored result with every image's `key` and `mime_type` back; null when there is none. */
export function unpackResult(
  stored: string | null | undefined,
  owner: ImageOwner,
): StoredResult | null {
  if (!stored || stored === 'null') return null;
  const result = JSON.parse(stored) as Omit<StoredResult, 'images'> & {
    images: (Omit<StoredImage, 'key' | 'mime_type'> & { key?: string; mime_type?: string })[];
  };
  return {
    ...result,
    images: result.images.map(({ key, mime_type, ...rest }, index) => ({
      key: key ?? imageKey(owner.tenant, owner.batchId, owner.id, index),
      mime_type: mime_type ?? 'image/png',
      ...rest,
    })),
  };
}
