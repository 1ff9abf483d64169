import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config, Logger } from '@imagen-queue/shared';
import Fastify, { type FastifyPluginAsync } from 'fastify';
import { createValidatorCompiler } from './lib/validation.ts';
import auth from './plugins/auth.ts';
import configPlugin from './plugins/config.ts';
import problems from './plugins/problems.ts';
import queues from './plugins/queues.ts';
import redis from './plugins/redis.ts';
import storage from './plugins/storage.ts';
import health from './routes/health/index.ts';
import jobs from './routes/jobs/index.ts';

/** The whole API as one Fastify plugin: external clients first, then one module per resource. */
export const app: FastifyPluginAsync<{ config: Config }> = async (fastify, { config }) => {
  await fastify.register(configPlugin, { config });
  await fastify.register(problems);
  await fastify.register(redis);
  await fastify.register(storage);
  await fastify.register(queues);
  await fastify.register(auth);
  await fastify.register(health);
  await fastify.register(jobs);
};

/** A ready-to-listen (or `inject`) Fastify instance. */
export async function buildApp(config: Config, logger: Logger) {
  const fastify = Fastify({
    loggerInstance: logger,
    // A 10,000-job batch of 400-char prompts fits in well under this.
    bodyLimit: 16 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  fastify.setValidatorCompiler(createValidatorCompiler());
  await fastify.register(app, { config });
  return fastify;
}
