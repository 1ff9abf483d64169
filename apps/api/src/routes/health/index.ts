import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { pingEveryNode } from '@imagen-queue/store';
import Type from 'typebox';

const Health = Type.Object({
  status: Type.Enum(['ok', 'unavailable']),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

async function check(probe: () => Promise<unknown>, timeoutMs: number): Promise<string> {
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('timed out')), timeoutMs).unref(),
      ),
    ]);
    return 'ok';
  } catch (error) {
    return (error as Error).message || 'failed';
  }
}

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({
    status: 'ok' as const,
  }));

  fastify.get(
    '/readyz',
    { schema: { response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const [redis, s3] = await Promise.all([
        check(() => pingEveryNode(fastify.redis), 1000),
        check(() => fastify.storage.ping(), 2000),
      ]);
      const ok = redis === 'ok' && s3 === 'ok';
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? ('ok' as const) : ('unavailable' as const), checks: { redis, s3 } });
    },
  );
};

export default health;
