// `pnpm start`: the whole system on this machine. Uses REDIS_URL / S3_* / IMAGEN_API_KEY when
// given; otherwise starts a local Redis (AOF on), an S3-compatible server and the Imagen
// emulator itself. Ctrl-C stops everything, the users of a service before the service.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createStack,
  freePort,
  provideServices,
  ROOT,
  type RunOptions,
  runProcess,
  s3FromEnv,
  waitForReady,
} from '@imagen-queue/dev-stack';
import { ConfigError, loadConfig } from '@imagen-queue/shared';

const dataDir = join(ROOT, '.data');
mkdirSync(dataDir, { recursive: true });
const stack = createStack();
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

// Our processes write to this terminal (pretty logs when it is one), each in its own process
// group so that Ctrl-C reaches only this script, which stops them in order.
const ours: RunOptions = { baseEnv: {}, stdio: 'inherit', detached: true, stopTimeoutMs: 40_000 };

function spawnNode(name: string, script: string, childEnv: Record<string, string>): void {
  const child = runProcess(name, script, childEnv, [], ours);
  void child.exited().then(({ code, signal }) => {
    if (!stopping) {
      log(`${name} exited unexpectedly (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  stack.add(name, () => child.stop());
}

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await stack.stopAll((name, error) => log(`stopping ${name} failed: ${String(error)}`));
  log('stopped');
  process.exit(code);
}
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  const bucket = env.S3_BUCKET || 'imagen-queue';
  const { services, stop: stopServices } = await provideServices({
    redisUrl: env.REDIS_URL || (env.REDIS_CLUSTER_NODES ? false : undefined),
    s3: s3FromEnv(env),
    dataDir,
    appendOnly: true,
    detached: true,
    buckets: [bucket],
  });
  stack.add('services', stopServices);
  if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
    env.REDIS_URL = services.redisUrl;
    log(`redis-server on ${services.redisUrl} (data in .data/redis)`);
  }
  if (!env.S3_ENDPOINT) {
    Object.assign(env, {
      S3_ENDPOINT: services.s3.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: services.s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: services.s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    });
    log(`S3-compatible server on ${services.s3.endpoint} (objects in .data/s3)`);
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
  await waitForReady(url);
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
