import type { Logger } from '@imagen-queue/shared';
import type { RedisClient } from '@imagen-queue/store';

/** A queue on a Redis that evicts keys loses jobs silently: say so loudly at start. */
export async function checkEvictionPolicy(redis: RedisClient, log: Logger): Promise<void> {
  try {
    const info = await redis.info('memory');
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    if (policy && policy !== 'noeviction') {
      log.warn(
        { maxmemoryPolicy: policy },
        `Redis maxmemory-policy is "${policy}": under memory pressure Redis will delete queued jobs. Set it to "noeviction".`,
      );
    }
  } catch (error) {
    log.warn({ err: error }, 'could not read the Redis eviction policy');
  }
}
