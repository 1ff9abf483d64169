import { createRedis, type RedisClient } from '@imagen-queue/store';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient;
    /** BullMQ's queues' connection (`plugins/queues.ts`, `plugins/webhooks.ts`). */
    queueRedis: RedisClient;
  }
}

/**
 * The API's Redis connections; both fail fast while Redis is down so routes can answer 503.
 * `redis` carries the stores' commands and auto-pipelines them. BullMQ's queues get one of their
 * own without auto-pipelining: BullMQ defines its ~60 scripts on the connection it is given, and
 * ioredis copies every script defined on a connection onto each pipeline it makes, which an
 * auto-pipelining connection does on every flush (20–40 µs each, about one a request).
 */
export default fp(
  async (fastify) => {
    const connect = (name: string, autoPipelining: boolean) => {
      const client = createRedis(fastify.config.redis, { name, role: 'api', autoPipelining });
      client.on('error', (error) =>
        fastify.log.warn({ err: error, name }, 'redis connection error'),
      );
      return client;
    };
    const redis = connect('api', true);
    const queueRedis = connect('api-queues', false);
    fastify.decorate<RedisClient>('redis', redis);
    fastify.decorate<RedisClient>('queueRedis', queueRedis);
    fastify.addHook('onClose', async () => {
      redis.disconnect();
      queueRedis.disconnect();
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
