import { createImagenClient } from '@imagen-queue/imagen';
import {
  armFaultPoint,
  bullPrefix,
  ConfigError,
  createBatchAccepting,
  createHeartbeatStore,
  createJobStore,
  createLogger,
  createMetrics,
  createRedis,
  createReleasers,
  createStorage,
  createWebhookDispatcher,
  createWebhookSecrets,
  loadConfig,
  loadTracing,
  QUEUES,
  setShutdownDates,
  startAcceptSweeper,
  startOutboxDeliverer,
} from '@imagen-queue/shared';
import { Queue } from 'bullmq';
import { createCallGate } from './call-gate.ts';
import { listenForCancels } from './cancel-listener.ts';
import { type ConcurrencyControl, startConcurrencyControl } from './concurrency.ts';
import { createBackground, createGenerationWorker } from './generation-worker.ts';
import { createInFlight, startHeartbeat } from './heartbeat.ts';
import { createProviderLimiter } from './limiter.ts';
import { startMetricsServer } from './metrics-server.ts';
import { checkEvictionPolicy } from './redis-checks.ts';
import { createSpool } from './spool.ts';
import { createDeliveryWorker } from './webhooks/delivery-worker.ts';
import { createWebhookHttp } from './webhooks/send-webhook.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
  if (!config.imagen.apiKey) throw new ConfigError(['IMAGEN_API_KEY: is required by the worker']);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
armFaultPoint(config.faultPoint);

const logger = createLogger({
  level: config.log.level,
  name: 'worker',
  pretty: process.stdout.isTTY,
});
const releasers = createReleasers();
// First in, so released last: the spans of the shutdown itself are exported too.
const tracing = await loadTracing(config.tracing, 'imagen-queue-worker');
releasers.add('tracing', () => tracing.shutdown());
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
setShutdownDates(config.imagen.modelShutdowns);
const imagen = createImagenClient({
  provider: config.imagen.provider,
  baseUrl: config.imagen.baseUrl,
  apiKey: config.imagen.apiKey!,
  timeoutMs: config.imagen.timeoutMs,
  // Adaptive: as many keep-alive connections as the concurrency may reach.
  connections: config.worker.concurrencyPinned
    ? config.worker.concurrency
    : config.worker.maxConcurrency,
  logger,
});
releasers.add('imagen', () => imagen.close());

const prefix = config.redis.prefix;
const metrics = createMetrics();
const inFlight = createInFlight();
const limiter = createProviderLimiter(connection, { prefix, ...config.provider });
// Released after the generation worker, whose finishing jobs still enqueue their events.
const webhooks = createWebhookDispatcher({
  connection,
  prefix,
  retryScheduleMs: config.webhooks.retryScheduleMs,
  retentionSeconds: config.worker.retentionSeconds,
  onError: (error) => logger.warn({ err: error }, 'webhook queue error'),
  ...(tracing.bullmq ? { telemetry: tracing.bullmq } : {}),
});
releasers.add('webhook queue', () => webhooks.close());
// Events owed by transitions whose process died before enqueuing them (outbox.ts).
const outbox = startOutboxDeliverer({
  connection,
  prefix,
  dispatcher: webhooks,
  onError: (error) => logger.warn({ err: error }, 'outbox drain failed'),
});
releasers.add('outbox', () => outbox.stop());
const webhookHttp = createWebhookHttp({
  allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
});
releasers.add('webhook http', () => webhookHttp.close());
const deliveryWorker = createDeliveryWorker({
  config,
  connection,
  logger,
  events: webhooks.events,
  secrets: createWebhookSecrets(connection, { prefix }),
  storage,
  http: webhookHttp,
  metrics,
  tracing,
});
releasers.add('webhook worker', () => deliveryWorker.close());
const gate = createCallGate({
  probe: () => storage.ping(),
  memoryBudgetBytes: config.worker.memoryBudgetBytes,
  log: logger,
});
const heartbeats = createHeartbeatStore(connection, prefix);
let capacity: ConcurrencyControl | null = null;
const background = createBackground();
const worker = createGenerationWorker({
  config,
  connection,
  logger,
  store: createJobStore(connection, { prefix, retentionSeconds: config.worker.retentionSeconds }),
  storage,
  imagen,
  limiter,
  spool: createSpool(connection, {
    prefix,
    ttlSeconds: config.worker.spoolTtlSeconds,
    maxBytes: config.worker.spoolMaxBytes,
    log: logger,
  }),
  metrics,
  gate,
  observeCall: (latencyMs, bytes) => capacity?.observe(latencyMs, bytes),
  inFlight,
  webhooks,
  tracing,
  background,
});
// Finished jobs' event enqueues are awaited before the webhook queue closes.
releasers.add('worker', async () => {
  await worker.close();
  await background.settled();
});
capacity = startConcurrencyControl({
  worker,
  paces: () => limiter.paces(),
  liveWorkers: async () => (await heartbeats.list()).length,
  gate,
  pinned: config.worker.concurrencyPinned ? config.worker.concurrency : null,
  maxConcurrency: config.worker.maxConcurrency,
  memoryBudgetBytes: config.worker.memoryBudgetBytes,
  initialPerMin: config.provider.initialPerMin,
  log: logger,
});
releasers.add('concurrency control', () => capacity?.stop());
const heartbeat = startHeartbeat({
  store: heartbeats,
  inFlight,
  capacity: () => capacity!.status(),
  logger,
});
// Released before the worker closes: a stopping worker takes no new jobs, so it leaves the list.
releasers.add('heartbeat', () => heartbeat.stop());
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
if (config.worker.metricsPort !== null) {
  const counts = new Queue(QUEUES.generation, {
    connection,
    prefix: bullPrefix(prefix),
  });
  releasers.add('metrics queue', () => counts.close());
  metrics.watchQueue(QUEUES.generation, () => counts.getJobCounts());
  metrics.watchQueue(QUEUES.webhooks, () => webhooks.queue.getJobCounts());
  metrics.watchRateLimit(() => limiter.paces());
  metrics.watchConcurrency(() => {
    const { concurrency, limited_by } = capacity!.status();
    return { concurrency, limitedBy: limited_by };
  });
  const server = await startMetricsServer(metrics, config.worker.metricsPort, logger);
  releasers.add('metrics server', () => server.close());
}
// Batches whose accepting API died are rolled forward here too, so they finish with no API up.
const acceptQueue = new Queue(QUEUES.generation, { connection, prefix: bullPrefix(prefix) });
releasers.add('accept queue', () => acceptQueue.close());
const acceptSweeper = startAcceptSweeper(
  createBatchAccepting({ connection, prefix, config, queue: acceptQueue }),
  (error) => logger.warn({ err: error }, 'accepting sweep failed'),
);
releasers.add('accept sweeper', () => acceptSweeper.stop());
void worker.run();
void deliveryWorker.run();
logger.info(
  {
    concurrency: config.worker.concurrencyPinned ? config.worker.concurrency : 'adaptive',
    queue: QUEUES.generation,
    workerId: heartbeat.id,
  },
  'worker started',
);
