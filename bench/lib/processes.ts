import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { freePort } from '@imagen-queue/local-services';
import { waitUntil } from './stats.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The last ~64 KB it printed, for error messages. */
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

const running = new Set<BenchProcess>();

/** Runs a TypeScript entry point of this repo as a Node child process. */
export function runProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  args: string[] = [],
): BenchProcess {
  const child = spawn(process.execPath, [resolve(ROOT, script), ...args], {
    cwd: ROOT,
    // The services' default LOG_LEVEL (info) is part of what is measured.
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Only the tail is kept: a service at LOG_LEVEL info prints a lot under load.
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 131_072) output = output.slice(-65_536);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = child.exitCode !== null ? Promise.resolve() : once(child, 'exit').then(() => {});
  const proc: BenchProcess = {
    name,
    child,
    pid: child.pid ?? 0,
    output: () => output,
    waitForOutput(pattern, timeoutMs = 30_000) {
      return new Promise<void>((resolveWait, reject) => {
        const fail = (why: string) => {
          cleanup();
          reject(new Error(`${name} ${why} before printing ${pattern}:\n${output.slice(-2000)}`));
        };
        const check = () => {
          if (pattern.test(output)) {
            cleanup();
            resolveWait();
          } else if (child.exitCode !== null) fail(`exited (${child.exitCode})`);
        };
        const timer = setTimeout(() => fail(`waited ${timeoutMs} ms`), timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', check);
        };
        listeners.add(check);
        child.on('exit', check);
        check();
      });
    },
    async stop(timeoutMs = 10_000) {
      running.delete(proc);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(proc);
  return proc;
}

/** Last resort on the way out: whatever a failed figure left running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop(3_000)));
}

/** Runs a process that prints `ready` once it serves; returns its URL. */
async function startServing(
  name: string,
  script: string,
  env: Record<string, string>,
  portVar: string,
  ready: RegExp,
): Promise<BenchProcess & { url: string }> {
  const port = await freePort();
  const proc = runProcess(name, script, { ...env, [portVar]: String(port) });
  await proc.waitForOutput(ready);
  return Object.assign(proc, { url: `http://127.0.0.1:${port}` });
}

/**
 * Our API, ready once `/healthz` answers. BENCH_API_LOG_LEVEL overrides its LOG_LEVEL (default
 * info, as deployed), to see what request logging costs.
 */
export async function startApi(env: Record<string, string>) {
  const port = await freePort();
  const level = process.env.BENCH_API_LOG_LEVEL;
  const api = runProcess('api', 'apps/api/src/server.ts', {
    ...env,
    ...(level ? { LOG_LEVEL: level } : {}),
    HOST: '127.0.0.1',
    PORT: String(port),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${url}/healthz`)).ok, 30_000, 'the API').catch(
    (error: Error) => {
      throw new Error(`${error.message}:\n${api.output().slice(-2000)}`);
    },
  );
  return Object.assign(api, { url });
}

export async function startWorker(env: Record<string, string>, name = 'worker') {
  const worker = runProcess(name, 'apps/worker/src/main.ts', env);
  await worker.waitForOutput(/worker started/);
  return worker;
}

export function startEmulator(env: Record<string, string> = {}) {
  return startServing(
    'emulator',
    'packages/imagen/src/emulator/main.ts',
    env,
    'EMULATOR_PORT',
    /listening/,
  );
}

/** A baseline of ours (bench/baselines/*.ts) that prints `ready` when it serves or consumes. */
export async function startBaseline(name: string, script: string, env: Record<string, string>) {
  const port = await freePort();
  const proc = runProcess(name, script, { ...env, PORT: String(port) });
  await proc.waitForOutput(/ready/);
  return Object.assign(proc, { url: `http://127.0.0.1:${port}` });
}
