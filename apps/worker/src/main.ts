import { createImagenClient } from '@imagen-queue/imagen';
import {
  ConfigError,
  createJobStore,
  createLogger,
  createRedis,
  createReleasers,
  createStorage,
  loadConfig,
  QUEUES,
} from '@imagen-queue/shared';
import { listenForCancels } from './cancel-listener.ts';
import { createGenerationWorker } from './generation-worker.ts';
import { createProviderLimiter } from './limiter.ts';
import { checkEvictionPolicy } from './redis-checks.ts';
import { createSpool } from './spool.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
  if (!config.imagen.apiKey) throw new ConfigError(['IMAGEN_API_KEY: is required by the worker']);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const logger = createLogger({
  level: config.log.level,
  name: 'worker',
  pretty: process.stdout.isTTY,
});
const releasers = createReleasers();
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

// Clients are created once here, in dependency order, and released in reverse.
const connection = createRedis(config.redis, { name: 'worker', role: 'worker' });
connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
releasers.add('redis', () => connection.quit());
const subscriber = createRedis(config.redis, { name: 'worker-cancel', role: 'worker' });
subscriber.on('error', (error) => logger.warn({ err: error }, 'redis subscriber error'));
releasers.add('redis subscriber', () => subscriber.quit());

const storage = createStorage(config.s3);
releasers.add('storage', () => storage.close());
const imagen = createImagenClient({
  provider: config.imagen.provider,
  baseUrl: config.imagen.baseUrl,
  apiKey: config.imagen.apiKey!,
  timeoutMs: config.imagen.timeoutMs,
  connections: config.worker.concurrency,
  logger,
});
releasers.add('imagen', () => imagen.close());

const prefix = config.redis.prefix;
const worker = createGenerationWorker({
  config,
  connection,
  logger,
  store: createJobStore(connection, { prefix, retentionSeconds: config.worker.retentionSeconds }),
  storage,
  imagen,
  limiter: createProviderLimiter(connection, { prefix, ...config.provider }),
  spool: createSpool(connection, { prefix, ttlSeconds: config.worker.spoolTtlSeconds }),
});
releasers.add('worker', () => worker.close());
releasers.add('cancel listener', await listenForCancels(subscriber, prefix, worker, logger));

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info(
    { signal, graceMs: config.worker.shutdownGraceMs },
    'stopping: finishing in-flight jobs',
  );
  const force = setTimeout(() => {
    logger.warn('grace period over; aborting in-flight jobs');
    worker.cancelAllJobs('shutdown');
  }, config.worker.shutdownGraceMs);
  force.unref();
  await releasers.releaseAll((name, error) =>
    logger.error({ err: error, resource: name }, 'release failed'),
  );
  clearTimeout(force);
  logger.info('stopped');
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

await checkEvictionPolicy(connection, logger);
try {
  await storage.ensureBucket();
} catch (error) {
  logger.warn({ err: error }, 'could not check the S3 bucket; uploads will retry');
}
void worker.run();
logger.info({ concurrency: config.worker.concurrency, queue: QUEUES.generation }, 'worker started');
