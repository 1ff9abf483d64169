import { bullPrefix, QUEUE_STREAMS, QUEUES, setShutdownDates } from '@imagen-queue/contract';
import { createImagenClient } from '@imagen-queue/imagen';
import {
  type Config,
  ConfigError,
  createLogger,
  createMetrics,
  createReleasers,
  createStorage,
  type Logger,
  type Metrics,
  noTracing,
  presignedOrigins,
  type Releasers,
  type Storage,
  type Tracing,
} from '@imagen-queue/shared';
import {
  createBatchAccepting,
  createHeartbeatStore,
  createJobStore,
  createProviderLimiter,
  createRedis,
  createSpool,
  createWebhookDispatcher,
  createWebhookEventStore,
  createWebhookSecrets,
  type ProviderLimiter,
  type RedisClient,
  startAcceptSweeper,
  startOutboxDeliverer,
} from '@imagen-queue/store';
import { Queue } from 'bullmq';
import { createCallGate } from './call-gate.ts';
import { listenForCancels } from './cancel-listener.ts';
import { type ConcurrencyControl, startConcurrencyControl } from './concurrency.ts';
import {
  createBackground,
  createGenerationWorker,
  type GenerationWorker,
} from './generation-worker.ts';
import { createInFlight, startHeartbeat } from './heartbeat.ts';
import { startMetricsServer } from './metrics-server.ts';
import { SHUTDOWN_REASON } from './processors/generate-images.ts';
import { checkEvictionPolicy } from './redis-checks.ts';
import { createDeliveryWorker } from './webhooks/delivery-worker.ts';
import { createFirstAttempt } from './webhooks/first-attempt.ts';
import { createWebhookHttp, WEBHOOK_TIMEOUT_MS } from './webhooks/send-webhook.ts';

/** What the process around the worker hands it; each defaults to the worker's own. */
export interface WorkerAppDeps {
  /** @defaultValue a pino logger named `worker` at `LOG_LEVEL` */
  logger?: Logger;
  /** Loaded by `main.ts` before anything else when `OTEL_*` asks for it. @defaultValue off */
  tracing?: Tracing;
}

export interface WorkerApp {
  /** The generation worker (BullMQ), for those that watch its events. */
  readonly generation: GenerationWorker;
  /**
   * Resolves once what finished jobs left to do after BullMQ completed them (their webhook
   * event's first attempt or enqueue, settling their outbox entry) is done.
   */
  settled(): Promise<void>;
  /** Checks Redis and the bucket, starts the sweepers, heartbeat and servers, then both workers. */
  start(): Promise<void>;
  /**
   * Lets in-flight jobs finish for `WORKER_SHUTDOWN_GRACE_MS`, then aborts them; releases every
   * resource in the reverse order of its creation. Once only: a second call waits for the first.
   */
  close(): Promise<void>;
}

/**
 * The worker process as one object, as the API has `buildApp`: `main.ts` reads the config and
 * handles signals, tests start the same thing in-process. Creating it opens the Redis
 * connections and builds the clients; nothing runs and no timer starts before `start()`.
 */
export function createWorkerApp(config: Config, deps: WorkerAppDeps = {}): WorkerApp {
  if (!config.imagen.apiKey) throw new ConfigError(['IMAGEN_API_KEY: is required by the worker']);
  const logger =
    deps.logger ?? createLogger({ level: config.log.level, name: 'worker', pretty: false });
  const tracing = deps.tracing ?? noTracing;
  const prefix = config.redis.prefix;
  const releasers = createReleasers();

  // Clients are created once here, in dependency order, and released in reverse.
  // BullMQ's workers (they block, on duplicates of it) and queues.
  const connection = createRedis(config.redis, { name: 'worker', role: 'worker' });
  connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  releasers.add('redis', () => connection.quit());
  // Our own stores' commands, none of them blocking: what the jobs in flight issue in one tick
  // goes out in one write, where each command was a write (a syscall each side) of its own.
  const commands = createRedis(config.redis, {
    name: 'worker-commands',
    role: 'worker',
    autoPipelining: true,
  });
  commands.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  releasers.add('redis commands', () => commands.quit());
  const subscriber = createRedis(config.redis, { name: 'worker-cancel', role: 'worker' });
  subscriber.on('error', (error) => logger.warn({ err: error }, 'redis subscriber error'));
  releasers.add('redis subscriber', () => subscriber.quit());

  const storage = createStorage(config.s3);
  releasers.add('storage', () => storage.close());
  setShutdownDates(config.imagen.modelShutdowns);
  const imagen = createImagenClient({
    provider: config.imagen.provider,
    baseUrl: config.imagen.baseUrl,
    apiKey: config.imagen.apiKey,
    timeoutMs: config.imagen.timeoutMs,
    // Adaptive: as many keep-alive connections as the concurrency may reach.
    connections: config.worker.concurrencyPinned
      ? config.worker.concurrency
      : config.worker.maxConcurrency,
    // Reference images a tenant names by URL connect only to public addresses, as webhooks do;
    // our own stored images' presigned URLs point at S3, which may be private: that origin only
    // skips the guard.
    referenceImages: {
      allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
      trustedOrigins: presignedOrigins(config.s3),
    },
    logger,
  });
  releasers.add('imagen', () => imagen.close());

  const metrics = createMetrics();
  const inFlight = createInFlight();
  const limiter = createProviderLimiter(commands, { prefix, ...config.provider });
  const webhookHttp = createWebhookHttp({
    allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
    timeoutMs: WEBHOOK_TIMEOUT_MS,
  });
  releasers.add('webhook http', () => webhookHttp.close());
  const delivery = {
    events: createWebhookEventStore(commands, {
      prefix,
      retentionSeconds: config.worker.retentionSeconds,
    }),
    secrets: createWebhookSecrets(commands, { prefix }),
    storage,
    http: webhookHttp,
    metrics,
  };
  // Released after the generation worker, whose finishing jobs still deliver their events.
  const webhooks = createWebhookDispatcher({
    connection: commands,
    // BullMQ's, which carries its scripts already: on `commands` they would be copied onto
    // every auto-pipeline (ioredis copies a connection's scripts onto each pipeline it makes).
    queueConnection: connection,
    prefix,
    retryScheduleMs: config.webhooks.retryScheduleMs,
    retentionSeconds: config.worker.retentionSeconds,
    onError: (error) => logger.warn({ err: error }, 'webhook queue error'),
    ...(tracing.bullmq ? { telemetry: tracing.bullmq } : {}),
    // A finished job's first attempt is made here, only its retries by the delivery queue.
    firstAttempt: createFirstAttempt({
      ...delivery,
      retryScheduleMs: config.webhooks.retryScheduleMs,
      logger,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      tracing,
    }),
  });
  releasers.add('webhook queue', () => webhooks.close());
  // Started by start(); its place in the release order is here, before the queue it fills.
  let outbox: { stop(): Promise<void> } | null = null;
  releasers.add('outbox', () => outbox?.stop());
  const deliveryWorker = createDeliveryWorker({ config, connection, logger, ...delivery, tracing });
  releasers.add('webhook worker', () => deliveryWorker.close());
  const gate = createCallGate({
    probe: () => storage.ping(),
    memoryBudgetBytes: config.worker.memoryBudgetBytes,
    log: logger,
  });
  const heartbeats = createHeartbeatStore(commands, prefix);
  let capacity: ConcurrencyControl | null = null;
  const background = createBackground();
  const worker = createGenerationWorker({
    config,
    connection,
    commands,
    logger,
    store: createJobStore(commands, { prefix, retentionSeconds: config.worker.retentionSeconds }),
    storage,
    imagen,
    limiter,
    spool: createSpool(commands, {
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
  // Finished jobs' event deliveries are awaited before the webhook queue closes.
  releasers.add('worker', async () => {
    await worker.close();
    await background.settled();
  });
  releasers.add('concurrency control', () => capacity?.stop());
  let heartbeat: ReturnType<typeof startHeartbeat> | null = null;
  // Released before the worker closes: a stopping worker takes no new jobs, so it leaves the list.
  releasers.add('heartbeat', () => heartbeat?.stop());

  async function start() {
    // Events owed by transitions whose process died before enqueuing them (outbox.ts).
    outbox = startOutboxDeliverer({
      connection: commands,
      prefix,
      dispatcher: webhooks,
      onError: (error) => logger.warn({ err: error }, 'outbox drain failed'),
    });
    const control = startConcurrencyControl({
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
    capacity = control;
    heartbeat = startHeartbeat({
      store: heartbeats,
      inFlight,
      capacity: () => control.status(),
      logger,
    });
    releasers.add('cancel listener', await listenForCancels(subscriber, prefix, worker, logger));

    await checkEvictionPolicy(connection, logger);
    await prepareBucket(storage, config, logger);
    if (config.worker.metricsPort !== null) {
      const watched = { connection, metrics, webhooks, limiter, capacity: control };
      await serveMetrics(config, config.worker.metricsPort, watched, releasers, logger);
    }
    // Batches whose accepting API died are rolled forward here too, so they finish with no API up.
    const acceptQueue = new Queue(QUEUES.generation, {
      connection,
      prefix: bullPrefix(prefix),
      streams: QUEUE_STREAMS,
    });
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
  }

  let closing: Promise<void> | null = null;
  async function close() {
    const force = setTimeout(() => {
      logger.warn('grace period over; aborting in-flight jobs');
      worker.cancelAllJobs(SHUTDOWN_REASON);
    }, config.worker.shutdownGraceMs);
    force.unref();
    await releasers.releaseAll((name, error) =>
      logger.error({ err: error, resource: name }, 'release failed'),
    );
    clearTimeout(force);
  }

  return {
    generation: worker,
    settled: () => background.settled(),
    start,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

/**
 * The bucket, and `IMAGE_RETENTION_DAYS` as its lifecycle rule (removed again when unset). The
 * rule is applied in the background: a slow S3 does not hold up the start, and a server without
 * lifecycle support, or a key without the right, is no reason not to work.
 */
async function prepareBucket(storage: Storage, config: Config, logger: Logger) {
  try {
    await storage.ensureBucket();
  } catch (error) {
    logger.warn({ err: error }, 'could not check the S3 bucket; uploads will retry');
  }
  const imageRetentionDays = config.s3.imageRetentionDays;
  void storage.applyImageRetention(imageRetentionDays).then(
    (outcome) => {
      if (outcome !== 'unchanged')
        logger.info(
          { imageRetentionDays, bucket: storage.bucket },
          `image retention rule ${outcome}`,
        );
    },
    (error: unknown) => {
      const log =
        imageRetentionDays === null ? logger.debug.bind(logger) : logger.warn.bind(logger);
      log(
        { err: error, imageRetentionDays, bucket: storage.bucket },
        'could not apply IMAGE_RETENTION_DAYS as an S3 lifecycle rule: the bucket keeps images until they are deleted otherwise',
      );
    },
  );
}

interface Watched {
  connection: RedisClient;
  metrics: Metrics;
  webhooks: { queue: Pick<Queue, 'getJobCounts'> };
  limiter: Pick<ProviderLimiter, 'paces'>;
  capacity: Pick<ConcurrencyControl, 'status'>;
}

/** The Prometheus `/metrics` server (`WORKER_METRICS_PORT`) and the gauges it samples. */
async function serveMetrics(
  config: Config,
  port: number,
  watched: Watched,
  releasers: Releasers,
  logger: Logger,
) {
  const { connection, metrics, webhooks, limiter, capacity } = watched;
  const counts = new Queue(QUEUES.generation, {
    connection,
    prefix: bullPrefix(config.redis.prefix),
    streams: QUEUE_STREAMS,
  });
  releasers.add('metrics queue', () => counts.close());
  metrics.watchQueue(QUEUES.generation, () => counts.getJobCounts());
  metrics.watchQueue(QUEUES.webhooks, () => webhooks.queue.getJobCounts());
  metrics.watchRateLimit(() => limiter.paces());
  metrics.watchConcurrency(() => {
    const { concurrency, limited_by } = capacity.status();
    return { concurrency, limitedBy: limited_by };
  });
  const server = await startMetricsServer(metrics, port, logger);
  releasers.add('metrics server', () => server.close());
}
