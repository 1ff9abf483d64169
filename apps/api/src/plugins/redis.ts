import { createRedis, type RedisClient } from '@imagen-queue/store';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient;
  }
}

/** The API's one Redis connection; fails fast while Redis is down so routes can answer 503. */
export default fp(
  async (fastify) => {
    const redis = createRedis(fastify.config.redis, { name: 'api', role: 'api' });
    redis.on('error', (error) => fastify.log.warn({ err: error }, 'redis connection error'));
    fastify.decorate<RedisClient>('redis', redis);
    fastify.addHook('onClose', async () => {
      redis.disconnect();
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
