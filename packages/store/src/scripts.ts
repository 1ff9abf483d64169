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

const sources = new Map<string, string>();

function source(file: string): string {
  let lua = sources.get(file);
  if (lua === undefined) {
    lua = readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), 'utf8');
    sources.set(file, lua);
  }
  return lua;
}

/**
 * The store's one way to run Lua: every script is a file in `lua/`, defined on the client once
 * (ioredis `defineCommand`: `EVALSHA`, and the script's text only after a `NOSCRIPT`, as after a
 * Redis restart) and called through the functions returned, typed by `T`. A command's name
 * follows from its file and key count, so two stores that define one script share it.
 */
export function defineScripts<T extends { [K in keyof T]: ScriptFunction }>(
  redis: RedisClient,
  specs: { [K in keyof T]: ScriptSpec },
): T {
  const client = redis as Redis;
  const commands = client as unknown as Record<string, Call>;
  const functions: Record<string, Call> = {};
  for (const [name, spec] of Object.entries(specs) as [string, ScriptSpec][]) {
    const command = `iq_${spec.file.replaceAll('-', '_')}_${spec.keys}`;
    if (!(command in client)) {
      const lua = source(spec.file);
      client.defineCommand(
        command,
        spec.keys === 'dynamic' ? { lua } : { numberOfKeys: spec.keys, lua },
      );
    }
    functions[name] = (...args) => commands[command]!.apply(client, args);
  }
  return functions as unknown as T;
}
