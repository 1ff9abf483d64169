import {
  createWebhookDispatcher,
  createWebhookSecrets,
  startOutboxDeliverer,
  type WebhookDispatcher,
  type WebhookSecrets,
} from '@imagen-queue/store';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** Turns a terminal transition the API applied (a cancel) into webhook events. */
    webhooks: WebhookDispatcher;
    webhookSecrets: WebhookSecrets;
    /** The outbox drain this process runs (every second, on the API's connection). */
    webhookOutbox: { stop(): Promise<void> };
  }
}

export default fp(
  async (fastify) => {
    const { config } = fastify;
    const dispatcher = createWebhookDispatcher({
      connection: fastify.redis,
      prefix: config.redis.prefix,
      retryScheduleMs: config.webhooks.retryScheduleMs,
      retentionSeconds: config.worker.retentionSeconds,
      onError: (error) => fastify.log.warn({ err: error }, 'webhook queue error'),
      ...(fastify.tracing.bullmq ? { telemetry: fastify.tracing.bullmq } : {}),
    });
    fastify.decorate('webhooks', dispatcher);
    fastify.decorate(
      'webhookSecrets',
      createWebhookSecrets(fastify.redis, { prefix: config.redis.prefix }),
    );
    // Events owed by transitions whose process died before enqueuing them (a cancel, a finish).
    const outbox = startOutboxDeliverer({
      connection: fastify.redis,
      prefix: config.redis.prefix,
      dispatcher,
      onError: (error) => fastify.log.warn({ err: error }, 'outbox drain failed'),
    });
    fastify.decorate('webhookOutbox', outbox);
    fastify.addHook('onClose', async () => {
      await outbox.stop();
      await dispatcher.close();
    });
  },
  { name: 'webhooks', dependencies: ['config', 'redis', 'queues'] },
);
