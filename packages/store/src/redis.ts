import { redisKeys } from '@imagen-queue/contract';
import type { Config } from '@imagen-queue/shared';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { pingEveryNode } from './redis-ready.ts';

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`, prefixed by the queue prefix so leaks can be traced. */
  name: string;
  /**
   * `worker`: blocking commands, must wait through outages (BullMQ requires
   * `maxRetriesPerRequest: null`). `api`: fail fast so a request answers 503 instead of hanging.
   */
  role: 'worker' | 'api';
  /**
   * Commands issued in one tick go out in one write (ioredis auto-pipelining). Only for a
   * connection that makes no blocking call: one would hold up every command written with it.
   * @defaultValue true for `api`, false for `worker` (BullMQ's workers block)
   */
  autoPipelining?: boolean;
}

export function createRedis(
  config: Config['redis'],
  { name, role, autoPipelining = role === 'api' }: RedisConnectionOptions,
): RedisClient {
  const options: RedisOptions = {
    connectionName: redisKeys(config.prefix).connectionName(name),
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    // Commands issued by concurrent requests (or jobs) in one tick go out in one write (one
    // syscall) instead of one each, which is most of a small command's cost to both sides.
    enableAutoPipelining: autoPipelining,
  };
  if (config.clusterNodes) {
    return new Cluster(config.clusterNodes, {
      redisOptions: options,
      enableOfflineQueue: options.enableOfflineQueue,
      clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
    });
  }
  return new Redis(config.url, options);
}

/** Wait until the connection (every cluster master) is ready, so start-up fails early and clearly. */
export async function waitForRedis(redis: RedisClient, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await pingEveryNode(redis);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error('Redis did not answer PING in time');
}

/**
 * A flat `[field, value, …]` reply as an object: what ioredis leaves as it came for a stream
 * entry's fields and for a Lua script's `HGETALL`.
 */
export function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}
