// The dev-stack's process harness, bound to what the bench measures: NODE_ENV=production and
// the services' default LOG_LEVEL (info), which is part of what is measured; only the tail of
// the output is kept, since a service at info prints a lot under load.

import type { RunOptions } from '@imagen-queue/dev-stack';
import * as devStack from '@imagen-queue/dev-stack';

export { ROOT, stopAll } from '@imagen-queue/dev-stack';

export const benchRun: RunOptions = {
  baseEnv: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
  keepOutput: 65_536,
  waitTimeoutMs: 30_000,
  stopTimeoutMs: 10_000,
};

/**
 * Our API, ready once `/readyz` answers 200. BENCH_API_LOG_LEVEL overrides its LOG_LEVEL
 * (default info, as deployed), to see what request logging costs; BENCH_API_NODE_OPTIONS is
 * its NODE_OPTIONS (`--cpu-prof --cpu-prof-dir=/tmp/prof` profiles it).
 */
export function startApi(env: Record<string, string>) {
  const level = process.env.BENCH_API_LOG_LEVEL;
  const nodeOptions = process.env.BENCH_API_NODE_OPTIONS;
  return devStack.startApi(
    {
      ...env,
      ...(level ? { LOG_LEVEL: level } : {}),
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
    benchRun,
  );
}

/**
 * Our worker. BENCH_WORKER_NODE_OPTIONS is its NODE_OPTIONS (`--cpu-prof --cpu-prof-dir=/tmp/prof`
 * profiles it under a figure's load).
 */
export function startWorker(env: Record<string, string>, name = 'worker') {
  const nodeOptions = process.env.BENCH_WORKER_NODE_OPTIONS;
  return devStack.startWorker(
    { ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
    name,
    benchRun,
  );
}

export const startEmulator = (env: Record<string, string> = {}) =>
  devStack.startEmulator(env, benchRun);

/** A baseline of ours (bench/baselines/*.ts) that prints `ready` when it serves or consumes. */
export async function startBaseline(name: string, script: string, env: Record<string, string>) {
  const port = await devStack.freePort();
  const proc = devStack.runProcess(name, script, { ...env, PORT: String(port) }, [], benchRun);
  await proc.waitForOutput(/ready/);
  return Object.assign(proc, { url: `http://127.0.0.1:${port}` });
}
