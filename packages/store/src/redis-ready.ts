import { Cluster } from 'ioredis';
import type { RedisClient } from './redis.ts';

/**
 * Answers once every node a command may be sent to answers. One PING through a Cluster client
 * reaches one node, which says nothing of the masters holding the other slots: readiness said
 * "ok" while requests for those slots could only fail. A Cluster client that is not `ready`
 * (slots unknown) rejects every command at once under the API's fail-fast options.
 */
export async function pingEveryNode(redis: RedisClient): Promise<void> {
  if (!(redis instanceof Cluster)) {
    await redis.ping();
    return;
  }
  if (redis.status !== 'ready') throw new Error(`cluster ${redis.status}`);
  const masters = redis.nodes('master');
  if (masters.length === 0) throw new Error('no cluster master known yet');
  await Promise.all(masters.map((node) => node.ping()));
}
