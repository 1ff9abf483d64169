import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkerHeartbeat } from '@imagen-queue/contract';
import { createHeartbeatStore } from '@imagen-queue/store';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';

type BoardOptions = Parameters<typeof createBullBoard>[0];

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The key an operator presented: `Authorization: Bearer <key>` for scripts, or HTTP Basic with
 * the key as password (any user name) so a browser can open Bull Board from its login prompt.
 * Never a query string or cookie: those end up in access logs and browser history.
 */
function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : null;
  }
  return null;
}

/** Every live worker's last heartbeat, as it wrote it. */
const WorkerList = Type.Object({ data: Type.Array(WorkerHeartbeat) });

/**
 * Operator routes under `/admin`, all behind `ADMIN_API_KEY`. When no admin key is configured
 * the plugin is not registered at all, so every `/admin` URL answers 404.
 */
const admin: FastifyPluginAsyncTypebox = async (fastify) => {
  const { adminKey } = fastify.config.auth;
  if (!adminKey) return;
  const expected = digest(adminKey);

  // Answered here rather than thrown: Bull Board installs its own error handler in its scope,
  // which would turn a thrown 401 into a 500.
  fastify.addHook('onRequest', async (request, reply) => {
    const key = presentedKey(request);
    if (key !== null && timingSafeEqual(digest(key), expected)) return;
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer, Basic realm="imagen-queue admin", charset="UTF-8"')
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: 'a valid admin key is required (Bearer, or HTTP Basic with the key as password)',
      });
  });

  const heartbeats = createHeartbeatStore(fastify.redis, fastify.config.redis.prefix);
  fastify.get('/workers', { schema: { response: { 200: WorkerList } } }, async () => ({
    data: await heartbeats.list(),
  }));

  const board = new FastifyAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: [new BullMQAdapter(fastify.queues.generation, { readOnlyMode: false })],
    // @bull-board/fastify pins a patch release of @bull-board/api older than ours; the
    // adapter's shape is the same, only the private fields of the two copies differ.
    serverAdapter: board as unknown as BoardOptions['serverAdapter'],
    options: { uiConfig: { boardTitle: 'imagen-queue' } },
  });
  await fastify.register(board.registerPlugin(), { prefix: '/queues' });
};

export default admin;
