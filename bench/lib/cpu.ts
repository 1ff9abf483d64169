import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** Linux's clock ticks a second (`getconf CLK_TCK`), the unit of `/proc/<pid>/stat`'s times. */
const TICKS_PER_S = 100;

/**
 * A process's CPU time so far (user + system), in microseconds, from `/proc/<pid>/stat`. CPU
 * time per request is steadier than throughput on a shared machine: another process's load
 * slows a request down but does not make it cost more cycles.
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses; utime and stime are
  // the 14th and 15th fields of the line, the 12th and 13th after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_S;
}

/** The pid of the redis-server a client talks to (`INFO server`). */
export async function redisPid(redis: Redis): Promise<number> {
  const info = await redis.info('server');
  return Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0);
}

/** The CPU time `pids` spend while `work` runs, in microseconds per unit of work it returns. */
export async function cpuPer<T>(
  pids: number[],
  work: () => Promise<T>,
  units: (result: T) => number,
): Promise<{ result: T; micros: number[] }> {
  const before = pids.map(cpuMicros);
  const result = await work();
  const count = Math.max(1, units(result));
  return { result, micros: pids.map((pid, i) => (cpuMicros(pid) - before[i]!) / count) };
}
