import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { toWebhookEventView, WebhookEventView } from '@imagen-queue/contract';
import { conflict, notFound } from '../../lib/problem-error.ts';
import {
  BatchParams,
  DeliveryLog,
  DeliveryLogQuery,
  EventParams,
  JobParams,
  WebhookSecret,
} from './schemas.ts';

/** The signing secret, its rotation, and the delivery log of every event. */
const webhooks: FastifyPluginAsyncTypebox = async (fastify) => {
  const { webhooks: dispatcher, webhookSecrets } = fastify;

  const eventViews = async (tenant: string, ids: string[]) => {
    const views = await Promise.all(
      ids.map(async (id) => {
        const event = await dispatcher.events.get(tenant, id);
        return event
          ? toWebhookEventView(event, await dispatcher.events.attempts(tenant, id))
          : null;
      }),
    );
    return views.filter((view) => view !== null);
  };

  fastify.get(
    '/v1/webhooks/secret',
    { schema: { response: { 200: WebhookSecret } } },
    async (request) => ({ key: await webhookSecrets.current(request.tenant) }),
  );

  fastify.post(
    '/v1/webhooks/secret/rotate',
    { schema: { response: { 200: WebhookSecret } } },
    async (request) => {
      const key = await webhookSecrets.rotate(request.tenant);
      request.log.info({ tenant: request.tenant }, 'webhook secret rotated');
      return { key };
    },
  );

  /** One page of a job's or batch's delivery log; the cursor is an offset into its events. */
  const logPage = async (
    tenant: string,
    subject: Parameters<typeof dispatcher.events.list>[1],
    query: { cursor?: string; limit?: number },
  ) => {
    const start = Number(query.cursor ?? 0);
    const limit = query.limit ?? 100;
    const ids = await dispatcher.events.list(tenant, subject, start, limit + 1);
    return {
      data: await eventViews(tenant, ids.slice(0, limit)),
      next_cursor: ids.length > limit ? String(start + limit) : null,
    };
  };

  fastify.get(
    '/v1/jobs/:id/webhooks',
    {
      schema: { params: JobParams, querystring: DeliveryLogQuery, response: { 200: DeliveryLog } },
    },
    async (request) => {
      const { tenant } = request;
      if (!(await fastify.jobStore.get(tenant, request.params.id))) throw notFound('job');
      return logPage(tenant, { jobId: request.params.id }, request.query);
    },
  );

  fastify.get(
    '/v1/batches/:id/webhooks',
    {
      schema: {
        params: BatchParams,
        querystring: DeliveryLogQuery,
        response: { 200: DeliveryLog },
      },
    },
    async (request) => {
      const { tenant } = request;
      if (!(await fastify.batchStore.get(tenant, request.params.id))) throw notFound('batch');
      return logPage(tenant, { batchId: request.params.id }, request.query);
    },
  );

  fastify.post(
    '/v1/webhooks/:event_id/redeliver',
    { schema: { params: EventParams, response: { 202: WebhookEventView } } },
    async (request, reply) => {
      const { tenant } = request;
      const { event_id: eventId } = request.params;
      const outcome = await dispatcher.redeliver(tenant, eventId);
      if (outcome === 'missing') throw notFound('webhook event');
      if (outcome === 'pending') {
        throw conflict(
          'the event is still being delivered; redeliver it once it is delivered or failed',
        );
      }
      const event = (await dispatcher.events.get(tenant, eventId))!;
      request.log.info({ tenant, eventId }, 'webhook redelivery requested');
      return reply
        .code(202)
        .send(toWebhookEventView(event, await dispatcher.events.attempts(tenant, eventId)));
    },
  );
};

export default webhooks;
