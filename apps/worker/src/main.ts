import { createImagenClient } from '@imagen-queue/imagen';
import {
  bullPrefix,
  ConfigError,
  createJobStore,
  createLogger,
  createRedis,
  createReleasers,
  createStorage,
  type JobName,
  loadConfig,
  QUEUES,
} from '@imagen-queue/shared';
import { UnrecoverableError, Worker } from 'bullmq';
import { PermanentFailure } from './processors/generate-images.ts';
import { processors } from './processors/index.ts';

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

const connection = createRedis(config.redis, { name: 'worker', role: 'worker' });
connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
releasers.add('redis', () => connection.quit());

const storage = createStorage(config.s3);
releasers.add('storage', () => storage.close());

const imagen = createImagenClient({
  provider: config.imagen.provider,
  baseUrl: config.imagen.baseUrl,
  apiKey: config.imagen.apiKey!,
  timeoutMs: config.imagen.timeoutMs,
  logger,
});
releasers.add('imagen', () => imagen.close());

const store = createJobStore(connection, {
  prefix: config.redis.prefix,
  retentionSeconds: config.worker.retentionSeconds,
});

const worker = new Worker<unknown, void, JobName>(
  QUEUES.generation,
  async (job, _token, signal) => {
    const processor = processors[job.name];
    const log = logger.child({
      jobId: job.id,
      requestId: (job.data as { requestId?: string }).requestId,
    });
    try {
      await processor(job.data as never, {
        log,
        store,
        storage,
        imagen,
        signal: signal ?? new AbortController().signal,
        finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
      });
    } catch (error) {
      if (error instanceof PermanentFailure) throw new UnrecoverableError(error.message);
      throw error;
    }
  },
  {
    connection,
    prefix: bullPrefix(config.redis.prefix),
    concurrency: config.worker.concurrency,
    // A lock shorter than the longest provider call would let a second worker start the job.
    lockDuration: Math.max(30_000, 2 * config.imagen.timeoutMs),
    autorun: false,
  },
);
worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
releasers.add('worker', () => worker.close());

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
    worker.cancelAllJobs?.('shutdown');
    void worker.close(true);
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
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

try {
  await storage.ensureBucket();
} catch (error) {
  logger.warn({ err: error }, 'could not check the S3 bucket; uploads will retry');
}
void worker.run();
logger.info({ concurrency: config.worker.concurrency, queue: QUEUES.generation }, 'worker started');
