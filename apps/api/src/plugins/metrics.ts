import { QUEUES } from '@imagen-queue/contract';
import { createMetrics, type Metrics } from '@imagen-queue/shared';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/**
 * Prometheus metrics of the API process on `GET /metrics` (unauthenticated, like `/healthz`:
 * keep it off the public listener). Every request is timed by its route pattern
 * (`/v1/jobs/:id`), never its raw URL, so label cardinality stays bounded.
 */
export default fp(
  async (fastify) => {
    const metrics = createMetrics();
    fastify.decorate('metrics', metrics);
    const generation = fastify.queues.generation;
    metrics.watchQueue(QUEUES.generation, () => generation.getJobCounts());

    // Callback style: an async hook costs a promise per request for nothing awaited.
    fastify.addHook('onResponse', (request, reply, done) => {
      metrics.httpRequestDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });

    fastify.get(
      '/metrics',
      {
        schema: {
          response: {
            200: {
              description: 'Prometheus text exposition format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      async (_request, reply) => {
        const body = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(body);
      },
    );
  },
  { name: 'metrics', dependencies: ['queues'] },
);
