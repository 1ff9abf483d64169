import { freePort } from './free-port.ts';
import { type RunningProcess, type RunOptions, runProcess, waitForReady } from './processes.ts';

/** The API on a free loopback port, returned once `/readyz` answers 200. */
export async function startApi(
  env: Record<string, string>,
  options: RunOptions = {},
): Promise<RunningProcess & { url: string }> {
  const port = await freePort();
  const api = runProcess(
    'api',
    'apps/api/src/server.ts',
    { ...env, PORT: String(port), HOST: '127.0.0.1' },
    [],
    options,
  );
  await api.waitForOutput(/api listening/);
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(url).catch(async (error: Error) => {
    // A caller that gets no API gets no process to stop either: none is left behind.
    await api.stop('SIGKILL');
    throw new Error(`${error.message}:\n${api.output().slice(-2000)}`);
  });
  return Object.assign(api, { url });
}

/** A worker process, returned once it says its workers started. */
export async function startWorker(
  env: Record<string, string>,
  name = 'worker',
  options: RunOptions = {},
): Promise<RunningProcess> {
  const worker = runProcess(name, 'apps/worker/src/main.ts', env, [], options);
  await worker.waitForOutput(/worker started/);
  return worker;
}

/** The provider emulator on a free loopback port. */
export async function startEmulator(
  env: Record<string, string> = {},
  options: RunOptions = {},
): Promise<RunningProcess & { url: string }> {
  const port = await freePort();
  const emulator = runProcess(
    'emulator',
    'packages/imagen/src/emulator/main.ts',
    { ...env, EMULATOR_PORT: String(port) },
    [],
    options,
  );
  await emulator.waitForOutput(/listening|started/i);
  return Object.assign(emulator, { url: `http://127.0.0.1:${port}` });
}

/**
 * An S3-compatible server in a process of its own: a test may kill and restart it, and the
 * bench keeps its CPU out of its own process.
 */
export async function startS3Process(
  port: number,
  dir: string,
  buckets: string | string[],
  options: RunOptions = {},
): Promise<RunningProcess & { endpoint: string }> {
  const s3 = runProcess(
    's3',
    'packages/dev-stack/src/s3-main.ts',
    {},
    [String(port), dir, ...[buckets].flat()],
    options,
  );
  await s3.waitForOutput(/s3 listening/);
  return Object.assign(s3, { endpoint: `http://127.0.0.1:${port}` });
}
