import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TERMINAL_STATUSES, toBatchView, toJobView } from '@imagen-queue/contract';
import { followStream, readStream, type StreamEntry, streamTail } from '@imagen-queue/store';
import Type from 'typebox';
import { trackOpenRequests } from '../../lib/open-requests.ts';
import { notFound } from '../../lib/problem-error.ts';
import { BatchParams } from '../batches/schemas.ts';
import { JobParams } from '../jobs/schemas.ts';

const HEARTBEAT_MS = 15_000;
const SseResponse = {
  200: {
    description: 'text/event-stream: `status` events with the job or batch, the last one terminal',
    content: { 'text/event-stream': { schema: Type.String() } },
  },
};

/** Opens an SSE response; `send` writes one event, `close` ends it. */
function openStream(raw: ServerResponse) {
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 2000\n\n');
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  return {
    send(event: string, data: unknown, id?: string) {
      raw.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      clearInterval(heartbeat);
      raw.end();
    },
  };
}

/**
 * Server-Sent Events for one job or batch: the current state first (so a client that connects
 * late still learns where things stand), then a `status` event on every change read from the
 * durable event stream, closing after the terminal one.
 */
const events: FastifyPluginAsyncTypebox = async (fastify) => {
  const keys = fastify.jobStore.keys;
  const track = trackOpenRequests(fastify);

  fastify.get(
    '/v1/jobs/:id/events',
    { schema: { params: JobParams, response: SseResponse } },
    async (request, reply) => {
      const { tenant } = request;
      const { id } = request.params;
      const stream = keys.jobEvents(tenant, id);
      const tail = await streamTail(fastify.redis, stream);
      const first = await fastify.jobStore.get(tenant, id);
      if (!first) throw notFound('job');
      reply.hijack();
      const sse = openStream(reply.raw);
      const abort = track(request);
      try {
        let job = first;
        sse.send('status', await toJobView(job, fastify.storage));
        if (TERMINAL_STATUSES.includes(job.status)) return;
        for await (const entries of followStream(fastify.redis, stream, tail, abort.signal)) {
          job = (await fastify.jobStore.get(tenant, id)) ?? job;
          const last = entries.at(-1)!;
          sse.send('status', await toJobView(job, fastify.storage), last.id);
          if (entries.some((entry) => TERMINAL_STATUSES.includes(entry.fields.status as never))) {
            return;
          }
        }
      } catch (error) {
        if (!abort.signal.aborted) request.log.warn({ err: error }, 'job event stream failed');
      } finally {
        abort.release();
        sse.close();
      }
    },
  );

  fastify.get(
    '/v1/batches/:id/events',
    { schema: { params: BatchParams, response: SseResponse } },
    async (request, reply) => {
      const { tenant } = request;
      const { id } = request.params;
      const stream = keys.batchEvents(tenant, id);
      const tail = await streamTail(fastify.redis, stream);
      const first = await fastify.batchStore.get(tenant, id);
      if (!first) throw notFound('batch');
      reply.hijack();
      const sse = openStream(reply.raw);
      const abort = track(request);
      const finished = (status: string) => status === 'completed' || status === 'canceled';
      try {
        sse.send('status', toBatchView(first));
        if (finished(first.status)) return;
        const sendJobs = (entries: StreamEntry[]) => {
          for (const entry of entries) {
            sse.send('job', { id: entry.fields.job, status: entry.fields.status }, entry.id);
          }
        };
        for await (const entries of followStream(fastify.redis, stream, tail, abort.signal)) {
          sendJobs(entries);
          const batch = await fastify.batchStore.get(tenant, id);
          if (!batch) return;
          if (finished(batch.status)) {
            // The completing transition wrote its entry before the status could be read.
            sendJobs(await readStream(fastify.redis, stream, entries.at(-1)!.id, 10_000));
            sse.send('status', toBatchView(batch));
            return;
          }
          sse.send('status', toBatchView(batch), entries.at(-1)!.id);
        }
      } catch (error) {
        if (!abort.signal.aborted) request.log.warn({ err: error }, 'batch event stream failed');
      } finally {
        abort.release();
        sse.close();
      }
    },
  );
};

export default events;
