import { createStorage, type Storage } from '@imagen-queue/shared';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    storage: Storage;
  }
}

export default fp(
  async (fastify) => {
    const storage = createStorage(fastify.config.s3);
    fastify.decorate('storage', storage);
    fastify.addHook('onClose', async () => storage.close());
  },
  { name: 'storage', dependencies: ['config'] },
);
