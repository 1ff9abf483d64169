import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listModels, ModelList, toModelView } from '@imagen-queue/contract';

/** The registry as clients see it: what each model takes, returns, and until when. */
const models: FastifyPluginAsyncTypebox = async (fastify) => {
  const body = { data: listModels().map(toModelView) };
  fastify.get(
    '/v1/models',
    {
      schema: {
        description:
          'Every registered model: its parameters (JSON Schema), output sizes, determinism, ' +
          'shutdown date and successor',
        response: { 200: ModelList },
      },
    },
    async () => body,
  );
};

export default models;
