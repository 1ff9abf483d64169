import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.ts';

/**
 * One of the store's Lua scripts, `lua/<file>.lua`, and how many of its arguments are keys:
 * `'dynamic'` when the caller passes that count first (a batch's job keys, an optional key).
 */
export interface ScriptSpec {
  file: string;
  keys: number | 'dynamic';
}

/**
 * A script's call: its keys, then its other arguments (strings; an array among them is flattened
 * by ioredis). Each store types its own; `never[]` admits every parameter list.
 */
type ScriptFunction = (...args: never[]) => Promise<unknown>;
type Call = (...args: unknown[]) => Promise<unknown>;

const sources = new Map<string, { lua: string; sha: string }>();

/** A script's text and its SHA1 (what `EVALSHA` names it by), read once per process. */
function script(file: string): { lua: string; sha: string } {
  let found = sources.get(file);
  if (found === undefined) {
    const lua = readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), 'utf8');
    found = { lua, sha: createHash('sha1').update(lua).digest('hex') };
    sources.set(file, found);
  }
  return found;
}

/** Redis's answer to an `EVALSHA` of a script it does not hold (a new or restarted Redis). */
const isNoScript = (error: unknown) => error instanceof Error && error.message.includes('NOSCRIPT');

/**
 * The store's one way to run Lua: every script is a file in `lua/`, called through the functions
 * returned, typed by `T`: `EVALSHA`, and `EVAL` with the script's text only after a `NOSCRIPT`
 * (a new Redis, or one restarted without its script cache). Called as plain commands rather than
 * defined on the client (ioredis `defineCommand`), because an auto-pipelining connection copies
 * every defined command onto each pipeline it makes, one per flush: some 20 scripts made that
 * a few µs a flush, several flushes a job.
 */
export function defineScripts<T extends { [K in keyof T]: ScriptFunction }>(
  redis: RedisClient,
  specs: { [K in keyof T]: ScriptSpec },
): T {
  const client = redis as Redis;
  const functions: Record<string, Call> = {};
  for (const [name, spec] of Object.entries(specs) as [string, ScriptSpec][]) {
    const { lua, sha } = script(spec.file);
    // Arguments as ioredis takes them (an array among them is flattened); a dynamic script's
    // caller passes its key count first, as EVALSHA takes it.
    const run = (args: unknown[]) => {
      const command = args as [number, ...string[]];
      return client.evalsha(sha, ...command).catch((error: unknown) => {
        if (!isNoScript(error)) throw error;
        return client.eval(lua, ...command);
      });
    };
    const keys = spec.keys;
    functions[name] =
      keys === 'dynamic' ? (...args) => run(args) : (...args) => run([keys, ...args]);
  }
  return functions as unknown as T;
}
