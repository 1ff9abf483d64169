import { setTimeout as sleep } from 'node:timers/promises';
import { fieldsOf, type RedisClient } from './redis.ts';

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/** The id of the newest entry of a stream (`0-0` when it has none): where following starts. */
export async function streamTail(redis: RedisClient, key: string): Promise<string> {
  const [last] = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  return last?.[0] ?? '0-0';
}

/** The entries after `fromId`, at most `count` (none when there are none yet). */
export async function readStream(
  redis: RedisClient,
  key: string,
  fromId: string,
  count = 100,
): Promise<StreamEntry[]> {
  const answer = (await redis.xread('COUNT', count, 'STREAMS', key, fromId)) as
    | [string, [string, string[]][]][]
    | null;
  return (answer?.[0]?.[1] ?? []).map(([id, flat]) => ({ id, fields: fieldsOf(flat) }));
}

/**
 * The entries a job's or batch's event stream gets after `fromId`, as they come, a chunk at a
 * time. The streams are written by the same Lua transition that changes the status, so nothing
 * is missed the way pub/sub can miss; the stream is read on the shared connection every
 * `intervalMs` rather than with a blocking read, so open SSE clients cost no connection each.
 */
export async function* followStream(
  redis: RedisClient,
  key: string,
  fromId: string,
  signal: AbortSignal,
  intervalMs = 200,
): AsyncGenerator<StreamEntry[]> {
  let last = fromId;
  while (!signal.aborted) {
    const entries = await readStream(redis, key, last);
    if (entries.length > 0) {
      last = entries.at(-1)!.id;
      yield entries;
    } else {
      await sleep(intervalMs, undefined, { signal }).catch(() => {});
    }
  }
}
