import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  GenerationParams,
  JOB_STATUSES,
  JobError,
  type JobRecord,
  JobUsage,
} from '@imagen-queue/contract';
import type { Storage } from '@imagen-queue/shared';
import type { BatchStore, JobStore } from '@imagen-queue/store';
import Type from 'typebox';
import { notFound } from '../../lib/problem-error.ts';
import { BatchParams } from './schemas.ts';

/** Job records read per round trip: the stream holds one page at a time, whatever the batch. */
const PAGE = 250;

/**
 * A line's status: the job's, or `expired` when its record is gone (a finished job's record lives
 * `JOB_RETENTION_DAYS`): the line is still written, so the file has one line per job.
 */
const RESULT_STATUSES = [...JOB_STATUSES, 'expired'] as const;

/** One line of the results file (documented; the stream itself is not validated per line). */
export const ResultLine = Type.Object(
  {
    id: Type.String(),
    index: Type.Integer({ description: 'Position in the submitted batch, from 0' }),
    status: Type.Enum(RESULT_STATUSES, {
      description:
        "The job's status, or `expired` when its record is gone (past `JOB_RETENTION_DAYS`): " +
        'then only `id` and `index` are known, `request` and `usage` are null, `images` empty',
    }),
    request: Type.Union([GenerationParams, Type.Null()]),
    images: Type.Array(
      Type.Object({
        key: Type.String(),
        url: Type.String(),
        sha256: Type.String(),
        width: Type.Integer(),
        height: Type.Integer(),
      }),
    ),
    error: Type.Union([JobError, Type.Null()]),
    usage: Type.Union([JobUsage, Type.Null()]),
  },
  { $id: 'ResultLine' },
);

const ResultsQuery = Type.Object({
  status: Type.Optional(
    Type.Enum(RESULT_STATUSES, { description: 'Only jobs in this status (`expired` included)' }),
  ),
});

interface Stores {
  jobStore: JobStore;
  batchStore: BatchStore;
  storage: Pick<Storage, 'presignGet'>;
}

/** `GET /v1/batches/{id}/results`: the whole batch as NDJSON, in submission order. */
const results: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/v1/batches/:id/results',
    {
      schema: {
        description:
          'Every job of the batch, one JSON object a line (`ResultLine`), in submission order; ' +
          '`?status=failed` gives the error file. A job whose record has expired still has its ' +
          'line, status `expired`. Streamed page by page, so any batch size works.',
        params: BatchParams,
        querystring: ResultsQuery,
        produces: ['application/x-ndjson'],
        response: {
          200: {
            description: 'One `ResultLine` a line',
            content: { 'application/x-ndjson': { schema: ResultLine } },
          },
        },
      },
    },
    async (request, reply) => {
      const batch = await fastify.batchStore.get(request.tenant, request.params.id);
      if (!batch) throw notFound('batch');
      const lines = resultLines(
        fastify,
        request.tenant,
        batch.id,
        batch.counts.total,
        request.query.status,
      );
      return (
        reply
          .type('application/x-ndjson; charset=utf-8')
          .header('cache-control', 'no-store')
          // The typed reply expects a `ResultLine`; the stream's lines are, one after another.
          .send(Readable.from(lines, { objectMode: false, highWaterMark: 64 * 1024 }) as never)
      );
    },
  );
};

async function* resultLines(
  stores: Stores,
  tenant: string,
  batchId: string,
  total: number,
  status: string | undefined,
): AsyncGenerator<string> {
  for (let start = 0; start < total; start += PAGE) {
    const ids = await stores.batchStore.jobIds(tenant, batchId, start, PAGE);
    const records = await Promise.all(ids.map((id) => stores.jobStore.get(tenant, id)));
    let page = '';
    for (const [offset, record] of records.entries()) {
      if (status && (record?.status ?? 'expired') !== status) continue;
      const index = start + offset;
      const line = record
        ? await toLine(record, index, stores.storage)
        : expiredLine(ids[offset]!, index);
      page += `${JSON.stringify(line)}\n`;
    }
    if (page) yield page;
  }
}

/** The line of a job whose record has expired: the batch still lists its id. */
function expiredLine(id: string, index: number) {
  return { id, index, status: 'expired', request: null, images: [], error: null, usage: null };
}

async function toLine(record: JobRecord, index: number, storage: Pick<Storage, 'presignGet'>) {
  const images = await Promise.all(
    (record.result?.images ?? []).map(async (image) => ({
      key: image.key,
      url: await storage.presignGet(image.key),
      sha256: image.sha256,
      width: image.width,
      height: image.height,
    })),
  );
  return {
    id: record.id,
    index,
    status: record.status,
    request: record.request,
    images,
    error: record.error,
    usage: record.usage ?? {
      provider_calls: 0,
      images: 0,
      credits: null,
      cost_usd: null,
      request_ids: [],
    },
  };
}

export default results;
