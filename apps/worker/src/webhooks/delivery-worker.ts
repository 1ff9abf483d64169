import { bullPrefix, type DeliverWebhookPayload, QUEUES } from '@imagen-queue/contract';
import {
  type Config,
  childWithIds,
  keepFinished,
  type Logger,
  type Metrics,
  noTracing,
  type Storage,
  type Tracing,
} from '@imagen-queue/shared';
import type { RedisClient, WebhookEventStore, WebhookSecrets } from '@imagen-queue/store';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { deliverWebhook, RetryDelivery, StopDelivery } from '../processors/deliver-webhook.ts';
import type { WebhookHttp } from './send-webhook.ts';

export interface DeliveryWorkerDeps {
  config: Config;
  connection: RedisClient;
  logger: Logger;
  events: WebhookEventStore;
  secrets: WebhookSecrets;
  storage: Pick<Storage, 'presignGet'>;
  http: WebhookHttp;
  metrics?: Metrics;
  /** Deliveries in flight at once; they mostly wait on receivers. @defaultValue 16 */
  concurrency?: number;
  /** OpenTelemetry, when configured. @defaultValue noTracing */
  tracing?: Tracing;
}

/** `evt_job_…_2` names its job; a batch's event (`evt_bat_…_c1`) names none. */
const jobOfEvent = (eventId: string) => /^evt_(job_[0-9a-z]{26})_/.exec(eventId)?.[1] ?? null;
const batchOfEvent = (eventId: string) => /^evt_(bat_[0-9a-z]{26})_/.exec(eventId)?.[1] ?? null;

export type DeliveryWorker = Worker<DeliverWebhookPayload>;

/**
 * The BullMQ side of the `webhooks` queue, independent of generation: a slow or dead receiver
 * ties up only delivery slots. Retry delays come from the processor (schedule or Retry-After).
 */
export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { config, logger } = deps;
  const tracing = deps.tracing ?? noTracing;
  const worker = new Worker<DeliverWebhookPayload>(
    QUEUES.webhooks,
    async (job: Job<DeliverWebhookPayload>) => {
      const { eventId } = job.data;
      const jobId = jobOfEvent(eventId);
      tracing.tagTrace(jobId, jobId ? null : batchOfEvent(eventId));
      try {
        await deliverWebhook(job.data, {
          log: childWithIds(logger, {
            tenant: job.data.tenant,
            eventId,
            jobId,
            ...tracing.logIds(),
          }),
          events: deps.events,
          secrets: deps.secrets,
          storage: deps.storage,
          http: deps.http,
          retryScheduleMs: config.webhooks.retryScheduleMs,
          attemptsMade: (job.data.attemptsBefore ?? 0) + job.attemptsMade,
          ...(deps.metrics ? { metrics: deps.metrics } : {}),
        });
      } catch (error) {
        if (error instanceof StopDelivery) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    {
      connection: deps.connection,
      prefix: bullPrefix(config.redis.prefix),
      concurrency: deps.concurrency ?? 16,
      // Longer than one delivery's 10 s timeout, so a live attempt is never taken as stalled.
      lockDuration: 30_000,
      // The event and its attempts are what stays readable; BullMQ keeps the last few.
      ...keepFinished(config.worker.retentionSeconds, config.worker.retentionSeconds),
      autorun: false,
      ...(tracing.bullmq ? { telemetry: tracing.bullmq } : {}),
      settings: {
        backoffStrategy: (_attemptsMade: number, _type?: string, error?: Error) =>
          error instanceof RetryDelivery ? error.delayMs : 1_000,
      },
    },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'webhook worker error'));
  return worker;
}
