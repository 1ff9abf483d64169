import { BATCH_ID_PATTERN, BATCH_STATUSES, Batch, JOB_STATUSES, Job } from '@imagen-queue/contract';
import Type from 'typebox';

const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 }));

export const JobListQuery = Type.Object({
  status: Type.Optional(Type.Enum(JOB_STATUSES)),
  cursor: Type.Optional(
    Type.String({ pattern: '^job_[0-9a-z]{26}$', description: 'From next_cursor' }),
  ),
  limit: Limit,
});

export const BatchListQuery = Type.Object({
  status: Type.Optional(Type.Enum(BATCH_STATUSES)),
  cursor: Type.Optional(
    Type.String({ pattern: BATCH_ID_PATTERN, description: 'From next_cursor' }),
  ),
  limit: Limit,
});

const nextCursor = Type.Union([Type.String(), Type.Null()], {
  description:
    'Pass as `cursor` for the next (older) page; null at the end. A filtered page may hold ' +
    'fewer than `limit` items and still have a cursor.',
});

export const JobList = Type.Object({ data: Type.Array(Job), next_cursor: nextCursor });
export const BatchList = Type.Object({ data: Type.Array(Batch), next_cursor: nextCursor });
