import { readdirSync, readFileSync } from 'node:fs';
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
async function redisPid(redis: Redis): Promise<number> {
  const info = await redis.info('server');
  return Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0);
}

/** The pid of this process's child whose command line holds `needle` (the S3 server); null if none. */
export function childPid(needle: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return null;
}

/** Each command's calls and µs so far (`INFO commandstats`; scripts' inner commands included). */
async function commandStats(redis: Redis) {
  const stats = await redis.info('commandstats');
  const byCommand = new Map<string, { calls: number; usec: number }>();
  for (const [, name, calls, usec] of stats.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g))
    byCommand.set(name!, { calls: Number(calls), usec: Number(usec) });
  return byCommand;
}

/**
 * CPU per job of some processes and of Redis over a stretch of work: call it before, and the
 * function it returns after, with the jobs done; that gives µs of CPU per job by name and
 * Redis's commands per job. BENCH_REDIS_TOP=1 adds the commands that took most of Redis's time
 * (`name(calls per job)=µs per job`).
 */
export async function cpuMeter(redis: Redis, pids: Record<string, number>) {
  const all = { ...pids, redis: await redisPid(redis) };
  const sample = async () => ({
    cpu: Object.values(all).map((pid) => cpuMicros(pid)),
    stats: await commandStats(redis),
  });
  const before = await sample();
  return async (jobs: number) => {
    const after = await sample();
    const perJob: Record<string, number> = {};
    Object.keys(all).forEach((name, i) => {
      perJob[`${name}_us`] = Math.round((after.cpu[i]! - before.cpu[i]!) / jobs);
    });
    const changes = [...after.stats].map(([name, { calls, usec }]) => {
      const was = before.stats.get(name) ?? { calls: 0, usec: 0 };
      return { name, calls: (calls - was.calls) / jobs, usec: (usec - was.usec) / jobs };
    });
    perJob.redis_commands = Math.round(changes.reduce((sum, c) => sum + c.calls, 0));
    if (process.env.BENCH_REDIS_TOP) {
      const top = changes.filter((c) => c.calls > 0).sort((a, b) => b.usec - a.usec);
      for (const c of top.slice(0, 12))
        perJob[`${c.name}(${c.calls.toFixed(1)})`] = Math.round(c.usec);
    }
    return perJob;
  };
}
