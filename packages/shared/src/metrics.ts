import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric of the service, in one place, so the dashboard
 * (ops/grafana/imagen-queue.json), the README and the code agree on names and labels.
 * The API and each worker process build their own set on their own registry; a metric a process
 * never touches simply stays at zero there.
 */
export const METRIC_NAMES = {
  jobsByState: 'imagen_queue_jobs',
  jobsFinished: 'imagen_queue_jobs_finished_total',
  providerLatency: 'imagen_queue_provider_request_duration_seconds',
  providerRateLimited: 'imagen_queue_provider_rate_limited_total',
  providerRateLimit: 'imagen_queue_provider_rate_limit_per_minute',
  providerCostUsd: 'imagen_queue_provider_cost_usd_total',
  providerCredits: 'imagen_queue_provider_credits_total',
  workerConcurrency: 'imagen_queue_worker_concurrency',
  imagesStored: 'imagen_queue_images_stored_total',
  bytesStored: 'imagen_queue_image_bytes_stored_total',
  webhookDeliveries: 'imagen_queue_webhook_deliveries_total',
  webhookLatency: 'imagen_queue_webhook_delivery_duration_seconds',
  httpRequestDuration: 'imagen_queue_http_request_duration_seconds',
} as const;

/** Terminal outcomes counted by `jobsFinished`. */
export type JobOutcome = 'succeeded' | 'failed' | 'canceled';
/** `delivered` = 2xx; `failed` = attempt failed, will retry; `exhausted` = gave up. */
export type WebhookOutcome = 'delivered' | 'failed' | 'exhausted';

/** Source of the per-state job counts, read at scrape time (BullMQ `Queue.getJobCounts`). */
export type JobCountsSource = () => Promise<Record<string, number>>;

export interface Metrics {
  registry: Registry;
  /** Jobs in each BullMQ state of a queue, collected at scrape time. Labels: queue, state. */
  jobsByState: Gauge<'queue' | 'state'>;
  /** Jobs that reached a terminal status. Labels: outcome, code (error code, '' on success). */
  jobsFinished: Counter<'outcome' | 'code'>;
  /** One provider call, from send to answer. Labels: model, outcome (ok | error code). */
  providerLatency: Histogram<'model' | 'outcome'>;
  /** Provider 429 answers. Label: model. */
  providerRateLimited: Counter<'model'>;
  /** The adaptive limiter's current pace, calls per minute (fleet-wide, read from Redis). Label: model. */
  providerRateLimit: Gauge<'model'>;
  /** USD the provider reported for its calls (nothing added when it reported none). Label: model. */
  providerCostUsd: Counter<'model'>;
  /** Credits the provider reported for its calls. Label: model. */
  providerCredits: Counter<'model'>;
  /** This worker's current concurrency. Label: limited_by (provider_quota, concurrency_cap, memory, storage). */
  workerConcurrency: Gauge<'limited_by'>;
  /** Images written to S3. Label: model. */
  imagesStored: Counter<'model'>;
  /** Image bytes written to S3. Label: model. */
  bytesStored: Counter<'model'>;
  /** Webhook delivery attempts. Labels: event, outcome (see WebhookOutcome). */
  webhookDeliveries: Counter<'event' | 'outcome'>;
  /** One webhook POST, from send to answer. Labels: event, outcome. */
  webhookLatency: Histogram<'event' | 'outcome'>;
  /** API requests. Labels: method, route (the route pattern, never the raw URL), status. */
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Makes `jobsByState` read this queue's counts on each scrape. */
  watchQueue(queue: string, counts: JobCountsSource): void;
  /** Makes `providerRateLimit` read the limiter's rate (one, or one per model) on each scrape. */
  watchRateLimit(read: () => Promise<number | Record<string, number>>): void;
  /** Makes `workerConcurrency` read this worker's concurrency on each scrape. */
  watchConcurrency(read: () => { concurrency: number; limitedBy: string }): void;
}

/** The BullMQ states reported by `jobsByState`. */
export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
  'paused',
] as const;

/**
 * Builds the metric set on `registry` (a fresh one by default). Process-level metrics
 * (CPU, memory, event loop) are added as well, prefixed `imagen_queue_`.
 */
export function createMetrics(
  registry: Registry = new Registry(),
  options: { defaultMetrics?: boolean } = {},
): Metrics {
  const queues = new Map<string, JobCountsSource>();
  let rateSource: (() => Promise<number | Record<string, number>>) | null = null;
  let concurrencySource: (() => { concurrency: number; limitedBy: string }) | null = null;
  const registers = [registry];

  const jobsByState = new Gauge({
    name: METRIC_NAMES.jobsByState,
    help: 'Jobs in each BullMQ state, read from the queue at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      for (const [queue, read] of queues) {
        try {
          const counts = await read();
          for (const state of JOB_STATES) this.set({ queue, state }, counts[state] ?? 0);
        } catch {
          // Redis unreachable: report nothing for this queue rather than fail the scrape.
        }
      }
    },
  });
  const providerRateLimit = new Gauge({
    name: METRIC_NAMES.providerRateLimit,
    help: "The adaptive limiter's current provider pace per model, calls per minute (fleet-wide)",
    labelNames: ['model'] as const,
    registers,
    async collect() {
      if (!rateSource) return;
      try {
        const rates = await rateSource();
        if (typeof rates === 'number') this.set(rates);
        else for (const [model, rate] of Object.entries(rates)) this.set({ model }, rate);
      } catch {
        // Keep the last value.
      }
    },
  });
  const metrics: Metrics = {
    registry,
    jobsByState,
    workerConcurrency: new Gauge({
      name: METRIC_NAMES.workerConcurrency,
      help: "This worker's provider-call concurrency, by what limits it",
      labelNames: ['limited_by'] as const,
      registers,
      collect() {
        if (!concurrencySource) return;
        const { concurrency, limitedBy } = concurrencySource();
        this.reset();
        this.set({ limited_by: limitedBy }, concurrency);
      },
    }),
    jobsFinished: new Counter({
      name: METRIC_NAMES.jobsFinished,
      help: 'Jobs that reached a terminal status, by outcome and error code',
      labelNames: ['outcome', 'code'] as const,
      registers,
    }),
    providerLatency: new Histogram({
      name: METRIC_NAMES.providerLatency,
      help: 'Provider generation call latency in seconds',
      labelNames: ['model', 'outcome'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
      registers,
    }),
    providerRateLimited: new Counter({
      name: METRIC_NAMES.providerRateLimited,
      help: 'Provider answers with HTTP 429',
      labelNames: ['model'] as const,
      registers,
    }),
    providerRateLimit,
    providerCostUsd: new Counter({
      name: METRIC_NAMES.providerCostUsd,
      help: 'USD the provider reported for its calls',
      labelNames: ['model'] as const,
      registers,
    }),
    providerCredits: new Counter({
      name: METRIC_NAMES.providerCredits,
      help: 'Credits the provider reported for its calls',
      labelNames: ['model'] as const,
      registers,
    }),
    imagesStored: new Counter({
      name: METRIC_NAMES.imagesStored,
      help: 'Images written to object storage',
      labelNames: ['model'] as const,
      registers,
    }),
    bytesStored: new Counter({
      name: METRIC_NAMES.bytesStored,
      help: 'Image bytes written to object storage',
      labelNames: ['model'] as const,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: METRIC_NAMES.webhookDeliveries,
      help: 'Webhook delivery attempts by event and outcome',
      labelNames: ['event', 'outcome'] as const,
      registers,
    }),
    webhookLatency: new Histogram({
      name: METRIC_NAMES.webhookLatency,
      help: 'Webhook delivery latency in seconds',
      labelNames: ['event', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: METRIC_NAMES.httpRequestDuration,
      help: 'API request duration in seconds, by route pattern',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    watchQueue(queue, counts) {
      queues.set(queue, counts);
    },
    watchRateLimit(read) {
      rateSource = read;
    },
    watchConcurrency(read) {
      concurrencySource = read;
    },
  };
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: 'imagen_queue_' });
  }
  return metrics;
}

export { Registry as MetricsRegistry };
