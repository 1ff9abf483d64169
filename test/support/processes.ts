import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { freePort } from '@imagen-queue/local-services';
import { inject } from 'vitest';
import { started } from './tracking.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when a line matching `pattern` has been printed. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for the process to exit by itself. */
  exited(): Promise<{ code: number | null; signal: string | null }>;
  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: string | null }>;
}

/** Where and how a process runs when not from the repository's root. */
export interface RunOptions {
  /** The working directory, and what `script` is relative to. @defaultValue the repository root */
  cwd?: string;
  /** Node's own flags, before the script (`--import …`). */
  nodeArgs?: string[];
}

/** Runs one of our entry points (`apps/api/src/server.ts`…) as a real Node process. */
export function runProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  options: RunOptions = {},
): RunningProcess {
  const cwd = options.cwd ?? ROOT;
  const nodeArgs = options.nodeArgs ?? [];
  const child = spawn(process.execPath, [...nodeArgs, resolve(cwd, script), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.children.add({ name, child });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;

  return {
    name,
    child,
    output: () => output,
    waitForOutput(pattern, timeoutMs = 20_000) {
      return new Promise<void>((resolvePromise, reject) => {
        const check = () => {
          if (pattern.test(output)) {
            cleanup();
            resolvePromise();
          } else if (child.exitCode !== null) {
            cleanup();
            reject(
              new Error(
                `${name} exited (${child.exitCode}) before printing ${pattern}:\n${output.slice(-3000)}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `${name} did not print ${pattern} within ${timeoutMs} ms:\n${output.slice(-3000)}`,
            ),
          );
        }, timeoutMs);
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
    async exited() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return { code: child.exitCode, signal: child.signalCode };
      }
      const [code, signal] = await exited;
      return { code, signal };
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const [code, sig] =
        child.exitCode !== null || child.signalCode !== null
          ? [child.exitCode, child.signalCode]
          : await exited;
      clearTimeout(timer);
      return { code, signal: sig };
    },
  };
}

/** The environment every spawned process shares: the test services, one prefix, one bucket. */
export function serviceEnv(
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const { redisUrl, s3 } = inject('services');
  return {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_BUCKET: `b-${prefix}`,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
    ...extra,
  };
}

export async function startApi(
  env: Record<string, string>,
): Promise<RunningProcess & { url: string }> {
  const port = await freePort();
  const api = runProcess('api', 'apps/api/src/server.ts', {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  await api.waitForOutput(/api listening/);
  const url = `http://127.0.0.1:${port}`;
  // The API listens before its Redis connection is up, and answers 503 until it is: a client
  // (and so every test) starts once /readyz says Redis is ok. Not the whole 200: the bucket is
  // created by the worker, and a test that starts the API alone (the fault tests) has none yet.
  await waitUntil(
    async () => {
      const answer = await fetch(`${url}/readyz`);
      const body = (await answer.json()) as { checks?: { redis?: string } };
      return body.checks?.redis === 'ok';
    },
    30_000,
    `${url}/readyz`,
  );
  return Object.assign(api, { url });
}

export async function startWorker(
  env: Record<string, string>,
  name = 'worker',
): Promise<RunningProcess> {
  const worker = runProcess(name, 'apps/worker/src/main.ts', env);
  await worker.waitForOutput(/worker started/);
  return worker;
}

export async function startEmulator(
  env: Record<string, string> = {},
): Promise<RunningProcess & { url: string }> {
  const port = await freePort();
  const emulator = runProcess('emulator', 'packages/imagen/src/emulator/main.ts', {
    ...env,
    EMULATOR_PORT: String(port),
  });
  await emulator.waitForOutput(/listening|started/i);
  return Object.assign(emulator, { url: `http://127.0.0.1:${port}` });
}

/** An S3-compatible server in a process of its own, which a test may kill and restart. */
export async function startS3Process(
  port: number,
  dir: string,
  bucket: string,
): Promise<RunningProcess> {
  const s3 = runProcess('s3', 'packages/local-services/src/s3-main.ts', {}, [
    String(port),
    dir,
    bucket,
  ]);
  await s3.waitForOutput(/s3 listening/);
  return s3;
}

/** Polls `probe` until it returns true. */
export async function waitUntil(
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
