import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { Socket } from 'node:net';
import { freePort } from './free-port.ts';

export interface RedisServerOptions {
  /** @defaultValue a free port */
  port?: number;
  /** Where the AOF lives; without it nothing is persisted. */
  dir?: string;
  /** Append-only file on (`appendfsync everysec`), as a production Redis for queues should be. @defaultValue false */
  appendOnly?: boolean;
  /** @defaultValue 'redis-server' */
  binary?: string;
  /**
   * Own process group, so a Ctrl-C in the terminal reaches only the launcher, which stops
   * Redis last, after the processes that use it. @defaultValue false
   */
  detached?: boolean;
  /** More `redis-server` arguments, e.g. `['--cluster-enabled', 'yes', …]`. */
  args?: string[];
}

export interface RedisServer {
  url: string;
  port: number;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** SIGKILL at once, as a crash would. */
  kill(): Promise<void>;
}

/** Runs a `redis-server` child on loopback and waits until it answers. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
  ];
  if (options.dir) {
    mkdirSync(options.dir, { recursive: true });
    args.push('--dir', options.dir);
  }
  args.push('--appendonly', options.appendOnly ? 'yes' : 'no');
  if (options.appendOnly) args.push('--appendfsync', 'everysec');
  args.push(...(options.args ?? []));
  const child = spawn(options.binary ?? 'redis-server', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output = (output + chunk).slice(-4000);
  });
  child.stderr?.on('data', (chunk) => {
    output = (output + chunk).slice(-4000);
  });
  const spawnError = once(child, 'error').then(([error]) => {
    throw (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? new Error(
          'redis-server is not installed: install it (e.g. apt-get install redis-server) or set REDIS_URL',
        )
      : error;
  });
  await Promise.race([waitForPort(port, 10_000, () => output), spawnError]);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
  };
}

async function waitForPort(port: number, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not listen on ${port}:\n${output()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
