import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

/** The repository's root: where the entry points below are found. */
export const ROOT = resolve(import.meta.dirname, '../../..');

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface RunningProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The tail of what it printed (stdout and stderr); empty with `stdio: 'inherit'`. */
  output(): string;
  /** Resolves when what it printed matches `pattern`; rejects if it exits or times out first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for the process to exit by itself. */
  exited(): Promise<ExitStatus>;
  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
}

/** How a process runs; the tests, the bench and `pnpm start` each bind their own. */
export interface RunOptions {
  /** The working directory, and what `script` is relative to. @defaultValue {@link ROOT} */
  cwd?: string;
  /** Node's own flags, before the script (`--import …`). */
  nodeArgs?: string[];
  /**
   * The environment under the process's own: a child gets only these and its `env` (the caller
   * passes its `PATH` here if the child needs one; Node itself is started by its full path).
   * @defaultValue `{ NODE_ENV: 'test', LOG_LEVEL: 'info' }`
   */
  baseEnv?: Record<string, string>;
  /** Characters of output kept; twice this is trimmed back to it. @defaultValue 1_000_000 */
  keepOutput?: number;
  /** `waitForOutput`'s default timeout. @defaultValue 20_000 */
  waitTimeoutMs?: number;
  /** `stop`'s default grace before SIGKILL. @defaultValue 15_000 */
  stopTimeoutMs?: number;
  /** `inherit` writes to this terminal instead of capturing (`pnpm start`). @defaultValue 'pipe' */
  stdio?: 'pipe' | 'inherit';
  /** Own process group, so a Ctrl-C reaches only the launcher. @defaultValue false */
  detached?: boolean;
  /** Told of every process started (the tests' leak check). */
  onSpawn?: (proc: RunningProcess) => void;
}

const running = new Set<RunningProcess>();

/** Runs a TypeScript entry point (`apps/api/src/server.ts`…) as a real Node process. */
export function runProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  options: RunOptions = {},
): RunningProcess {
  const cwd = options.cwd ?? ROOT;
  const keep = options.keepOutput ?? 1_000_000;
  const baseEnv = options.baseEnv ?? { NODE_ENV: 'test', LOG_LEVEL: 'info' };
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), resolve(cwd, script), ...args],
    {
      cwd,
      env: { ...baseEnv, ...env },
      stdio: options.stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      detached: options.detached ?? false,
    },
  );
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 2 * keep) output = output.slice(-keep);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exitedAt = once(child, 'exit') as Promise<[number | null, string | null]>;
  const status = async (): Promise<ExitStatus> => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return { code: child.exitCode, signal: child.signalCode };
    }
    const [code, signal] = await exitedAt;
    return { code, signal };
  };

  const proc: RunningProcess = {
    name,
    child,
    pid: child.pid ?? 0,
    output: () => output,
    waitForOutput(pattern, timeoutMs = options.waitTimeoutMs ?? 20_000) {
      return new Promise<void>((resolveWait, reject) => {
        const fail = (why: string) => {
          cleanup();
          reject(new Error(`${name} ${why} before printing ${pattern}:\n${output.slice(-3000)}`));
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
    exited: status,
    async stop(signal = 'SIGTERM', timeoutMs = options.stopTimeoutMs ?? 15_000) {
      running.delete(proc);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await status();
      clearTimeout(timer);
      return result;
    },
  };
  running.add(proc);
  const forget = () => running.delete(proc);
  // `once` rejects on an 'error' event (a spawn that failed): forgotten either way.
  exitedAt.then(forget, forget);
  options.onSpawn?.(proc);
  return proc;
}

/** Last resort on the way out: stops whatever is still running, all at once. */
export async function stopAll(timeoutMs = 3_000): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop('SIGTERM', timeoutMs)));
}

/** Polls `probe` every 200 ms until it returns true (a throw counts as false). */
export async function waitUntil(
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/**
 * Resolves once the API at `url` answers `GET /readyz` with 200. It listens before its Redis
 * connection is up and answers 503 until then, so a client starts here, as a load balancer would.
 */
export function waitForReady(url: string, timeoutMs = 30_000): Promise<void> {
  return waitUntil(
    async () => (await fetch(`${url}/readyz`)).status === 200,
    timeoutMs,
    `${url}/readyz`,
  );
}
