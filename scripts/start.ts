// `pnpm start`: the whole system on this machine. Uses REDIS_URL / S3_* / IMAGEN_API_KEY when
// given; otherwise starts a local Redis (AOF on), an S3-compatible server and the Imagen
// emulator itself. Ctrl-C stops everything, the users of a service before the service.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, startRedisServer, startS3Server } from '@imagen-queue/local-services';
import { ConfigError, createReleasers, loadConfig } from '@imagen-queue/shared';

const root = resolve(import.meta.dirname, '..');
const dataDir = join(root, '.data');
mkdirSync(dataDir, { recursive: true });
const releasers = createReleasers();
const env: Record<string, string> = { ...(process.env as Record<string, string>) };
const log = (line: string) => console.log(`[start] ${line}`);

/** A secret generated once and kept in .data/, so the dev key survives restarts. */
function devSecret(name: string, length = 24): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(length).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function spawnNode(name: string, script: string, childEnv: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(root, script)], {
    cwd: root,
    env: childEnv,
    stdio: 'inherit',
    detached: true,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited unexpectedly (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  releasers.add(name, () => stopChild(child));
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await releasers.releaseAll((name, error) => log(`stopping ${name} failed: ${String(error)}`));
  log('stopped');
  process.exit(code);
}
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
    const redis = await startRedisServer({
      dir: join(dataDir, 'redis'),
      appendOnly: true,
      detached: true,
    });
    releasers.add('redis', () => redis.stop());
    env.REDIS_URL = redis.url;
    log(`redis-server on ${redis.url} (data in .data/redis)`);
  }
  if (!env.S3_ENDPOINT) {
    const bucket = env.S3_BUCKET || 'imagen-queue';
    const s3 = await startS3Server({ dir: join(dataDir, 's3'), buckets: [bucket] });
    releasers.add('s3', () => s3.stop());
    Object.assign(env, {
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    });
    log(`S3-compatible server on ${s3.endpoint} (objects in .data/s3)`);
  }
  if (!env.IMAGEN_API_KEY) {
    const port = await freePort();
    const key = devSecret('emulator-key');
    spawnNode('emulator', 'packages/imagen/src/emulator/main.ts', {
      ...env,
      EMULATOR_PORT: String(port),
      EMULATOR_API_KEY: key,
    });
    Object.assign(env, { IMAGEN_BASE_URL: `http://127.0.0.1:${port}`, IMAGEN_API_KEY: key });
    log(`no IMAGEN_API_KEY: using the bundled Imagen emulator on http://127.0.0.1:${port}`);
  }
  // Only a key this script generated is printed whole: an operator's keys would land in every
  // log that collects this output.
  const generatedKey = !env.API_KEYS;
  env.API_KEYS ||= `dev:${devSecret('dev-api-key')}`;
  env.ADMIN_API_KEY ||= devSecret('admin-api-key');
  env.WEBHOOK_ALLOW_PRIVATE_NETWORKS ||= 'true';
  env.HOST ||= '127.0.0.1';

  const config = loadConfig(env);
  spawnNode('api', 'apps/api/src/server.ts', env);
  spawnNode('worker', 'apps/worker/src/main.ts', env);

  const url = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${config.http.port}`;
  await waitForHealth(url);
  const [{ tenant, key }] = config.auth.apiKeys as [{ tenant: string; key: string }];
  const shownKey = generatedKey ? key : '<your API key>';
  const keyLine = generatedKey
    ? `${key}   (tenant "${tenant}", generated, kept in .data/dev-api-key)`
    : config.auth.apiKeys.map((k) => fingerprint(k.tenant, k.key)).join(', ');
  console.log(`
  imagen-queue is running
    API        ${url}   (docs: ${url}/docs)
    API key    ${keyLine}

  Try it:
    curl -s -X POST ${url}/v1/jobs -H "Authorization: Bearer ${shownKey}" \\
      -H "Content-Type: application/json" -d '{"prompt":"a lighthouse at dawn"}'

  Ctrl-C stops everything.
`);
} catch (error) {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`[start] ${(error as Error).message}`);
  await stop(1);
}

/** `acme: sk_…cdef`: enough to tell keys apart, too little to use one. */
function fingerprint(tenant: string, key: string): string {
  const head = /^[a-z]+_/i.exec(key)?.[0] ?? '';
  return `${tenant}: ${head}…${key.slice(-4)}`;
}

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`the API did not answer on ${url}/healthz within 30 s`);
}
