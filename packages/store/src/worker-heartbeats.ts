import { redisKeys, type WorkerHeartbeat } from '@imagen-queue/contract';
import type { RedisClient } from './redis.ts';

/**
 * Heartbeats in Redis: one key per worker that expires on its own (a killed worker vanishes
 * after `ttlSeconds`) and one set of ids to find them without SCAN. All keys share the
 * `{workers}` hash tag so they sit in one Redis Cluster slot.
 */
export function createHeartbeatStore(redis: RedisClient, prefix: string) {
  const keys = redisKeys(prefix);
  const index = keys.workers();
  const key = keys.worker;
  return {
    async write(beat: WorkerHeartbeat, ttlSeconds: number): Promise<void> {
      await redis
        .multi()
        .set(key(beat.id), JSON.stringify(beat), 'EX', ttlSeconds)
        .sadd(index, beat.id)
        .exec();
    },
    async remove(id: string): Promise<void> {
      await redis.multi().del(key(id)).srem(index, id).exec();
    },
    /** Live workers; ids whose heartbeat expired are dropped from the index on the way. */
    async list(): Promise<WorkerHeartbeat[]> {
      const ids = await redis.smembers(index);
      if (ids.length === 0) return [];
      const values = await redis.mget(...ids.map(key));
      const dead = ids.filter((_, i) => values[i] === null);
      if (dead.length > 0) await redis.srem(index, ...dead);
      return values
        .filter((value): value is string => value !== null)
        .map((value) => JSON.parse(value) as WorkerHeartbeat)
        .sort((a, b) => a.started_at.localeCompare(b.started_at));
    },
  };
}
export type HeartbeatStore = ReturnType<typeof createHeartbeatStore>;
