import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@imagen-queue/dev-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  type RunningProcess,
  runProcess,
  serviceEnv,
  startEmulator,
} from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';

// What the Dockerfile does, without Docker: `pnpm deploy` each app into a directory of its own,
// outside the repository, and start it there. Anything the app imports but does not declare is
// missing from that directory, so the process would not start or the job would not run.
const KEY = 'acme-deploy-key-1';
const REGISTER_TYPES = ['--import', '@imagen-queue/shared/register-types'];

describe('pnpm deploy of the API and of the worker', () => {
  const prefix = testPrefix();
  const out = mkdtempSync(join(tmpdir(), 'imagen-queue-deploy-'));
  const started: RunningProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    for (const app of ['api', 'worker']) {
      // The older deploy resolves the app's dependencies again: from pnpm's metadata cache where
      // it has them, from the registry where a fresh machine's cache does not.
      const args = ['--filter', `@imagen-queue/${app}`, 'deploy', '--prod', '--prefer-offline'];
      try {
        execFileSync('pnpm', [...args, join(out, app)], { cwd: ROOT, stdio: 'pipe' });
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
        throw new Error(`pnpm deploy of ${app} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
      }
    }
    const emulator = await startEmulator({ EMULATOR_LATENCY_MS: '20' });
    started.push(emulator);
    env = serviceEnv(prefix, {
      API_KEYS: `acme:${KEY}`,
      IMAGEN_BASE_URL: emulator.url,
      IMAGEN_API_KEY: 'emulator-key',
    });
  }, 180_000);

  afterAll(async () => {
    const exits = await Promise.all(started.reverse().map((process) => process.stop()));
    rmSync(out, { recursive: true, force: true });
    expect(exits.map((exit) => exit.code)).toEqual(exits.map(() => 0));
  });

  it('each directory holds its app and none of the repository around it', () => {
    expect(existsSync(join(out, 'api/src/server.ts'))).toBe(true);
    expect(existsSync(join(out, 'worker/src/main.ts'))).toBe(true);
    // Dev-only packages (the root's test tooling) are not there to lean on.
    expect(existsSync(join(out, 'api/node_modules/vitest'))).toBe(false);
    expect(existsSync(join(out, 'worker/node_modules/@imagen-queue/dev-stack'))).toBe(false);
  });

  it('the deployed API answers /readyz against the test services, and the worker runs a job', async () => {
    const port = await freePort();
    const api = runProcess(
      'deployed-api',
      'src/server.ts',
      { ...env, PORT: String(port), HOST: '127.0.0.1' },
      [],
      { cwd: join(out, 'api'), nodeArgs: REGISTER_TYPES },
    );
    started.push(api);
    const worker = runProcess('deployed-worker', 'src/main.ts', env, [], {
      cwd: join(out, 'worker'),
      nodeArgs: REGISTER_TYPES,
    });
    started.push(worker);
    await Promise.all([
      api.waitForOutput(/api listening/, 30_000),
      worker.waitForOutput(/worker started/, 30_000),
    ]);
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const submitted = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: 'a lighthouse, deployed', seed: 7 }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    let job: { status: string; result?: { images: unknown[] } } = { status: 'queued' };
    while (job.status === 'queued' || job.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await (await fetch(`${url}/v1/jobs/${id}`, { headers })).json()) as typeof job;
    }
    expect(job.status).toBe('succeeded');
    expect(job.result?.images).toHaveLength(1);
  });
});
