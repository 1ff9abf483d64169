import { createHash } from 'node:crypto';
import { redisKeys } from '@imagen-queue/contract';
import type { IdempotencyEntry, IdempotencyStore } from '@imagen-queue/store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, conflict } from './problem-error.ts';

export const IDEMPOTENCY_KEY_MAX = 255;
/** How long a request in progress holds its key. */
const PENDING_TTL_S = 60;

export interface IdempotencyOptions {
  store: IdempotencyStore;
  prefix: string;
  ttlSeconds: number;
}

/** The Redis key of the request's Idempotency-Key (null without one); a bad key is a 400. */
export function idempotencyRedisKey(prefix: string, request: FastifyRequest): string | null {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return null;
  const key = Array.isArray(header) ? header[0]! : header;
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX) {
    throw badRequest(`Idempotency-Key must be 1 to ${IDEMPOTENCY_KEY_MAX} characters`, [
      {
        path: '/headers/idempotency-key',
        message: `must be 1 to ${IDEMPOTENCY_KEY_MAX} characters`,
      },
    ]);
  }
  return redisKeys(prefix).idempotency(request.tenant, `${request.routeOptions.url}:${key}`);
}

/** Same key with another request is a conflict: method, URL and body decide "the same". */
export function requestFingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(request.method)
    .update('\0')
    .update(request.url)
    .update('\0')
    .update(JSON.stringify(request.body ?? null))
    .digest('base64url');
}

/**
 * Stripe's `Idempotency-Key`: the first answer is stored and replayed for the key's lifetime;
 * the same key with another body is 409, and so is a second request while the first is still
 * running (the `SET NX` decides which one runs). A request that fails leaves no key behind, so
 * it can be retried. The stored answer is the response itself, so a replay does not depend on
 * the job still being in BullMQ or Redis.
 */
export async function idempotent<T>(
  options: IdempotencyOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<{ status: number; headers?: Record<string, string>; body: T }>,
): Promise<void> {
  const header = request.headers['idempotency-key'];
  const answer = (result: { status: number; headers?: Record<string, string>; body: unknown }) => {
    reply
      .code(result.status)
      .headers(result.headers ?? {})
      .send(result.body);
  };
  if (header === undefined) return answer(await run());
  const redisKey = idempotencyRedisKey(options.prefix, request)!;
  const fingerprint = requestFingerprint(request);
  const pending: IdempotencyEntry = { fingerprint, state: 'pending' };
  // A request still running holds the key briefly: if its process dies, the key frees itself.
  const claimed = await options.store.claim(redisKey, pending, PENDING_TTL_S);
  if (!claimed) {
    const stored = await options.store.read(redisKey);
    if (!stored) return idempotent(options, request, reply, run);
    if (stored.fingerprint !== fingerprint) {
      throw conflict('this Idempotency-Key was used with a different request body');
    }
    if (stored.state === 'pending') {
      throw conflict('a request with this Idempotency-Key is still being processed; retry shortly');
    }
    reply.header('idempotent-replayed', 'true');
    return answer({ status: stored.status!, headers: stored.headers, body: stored.body });
  }
  let result: Awaited<ReturnType<typeof run>>;
  try {
    result = await run();
  } catch (error) {
    await options.store.release(redisKey).catch(() => {});
    throw error;
  }
  const done: IdempotencyEntry = { ...pending, state: 'done', ...result };
  // The work is done whether or not its answer can be stored; a failed store only means a
  // repeat within PENDING_TTL_S is 409 rather than replayed.
  await options.store
    .complete(redisKey, done, options.ttlSeconds)
    .catch((error) => request.log.warn({ err: error }, 'could not store the idempotent answer'));
  return answer(result);
}
