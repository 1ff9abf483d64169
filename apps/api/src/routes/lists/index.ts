import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { toBatchView, toJobView } from '@imagen-queue/contract';
import { listPage } from '../../lib/list-page.ts';
import { BatchList, BatchListQuery, JobList, JobListQuery } from './schemas.ts';

/** The tenant's jobs (batch jobs included) and batches, newest first. */
const lists: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/v1/jobs',
    {
      schema: {
        description: 'Your jobs, newest first, batch jobs included; `status` filters.',
        querystring: JobListQuery,
        response: { 200: JobList },
      },
    },
    async (request) => {
      const { tenant } = request;
      const { status, cursor, limit = 50 } = request.query;
      const page = await listPage({
        index: fastify.listIndex,
        tenant,
        kind: 'jobs',
        cursor: cursor ?? null,
        limit,
        load: (ids) => Promise.all(ids.map((id) => fastify.jobStore.get(tenant, id))),
        keep: (job) => !status || job.status === status,
      });
      return {
        data: await Promise.all(page.data.map((job) => toJobView(job, fastify.storage))),
        next_cursor: page.next_cursor,
      };
    },
  );

  fastify.get(
    '/v1/batches',
    {
      schema: {
        description: 'Your batches, newest first, with live counts; `status` filters.',
        querystring: BatchListQuery,
        response: { 200: BatchList },
      },
    },
    async (request) => {
      const { tenant } = request;
      const { status, cursor, limit = 50 } = request.query;
      const page = await listPage({
        index: fastify.listIndex,
        tenant,
        kind: 'batches',
        cursor: cursor ?? null,
        limit,
        load: (ids) => Promise.all(ids.map((id) => fastify.batchStore.get(tenant, id))),
        keep: (batch) => !status || batch.status === status,
      });
      return {
        data: page.data.map((record) => toBatchView(record)),
        next_cursor: page.next_cursor,
      };
    },
  );
};

export default lists;
