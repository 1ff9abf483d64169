import {
  batchEventId,
  bullPrefix,
  DELIVER_WEBHOOK,
  type DeliverWebhookPayload,
  type JobRecord,
  type JobStatus,
  jobEventId,
  QUEUE_STREAMS,
  QUEUES,
  redisKeys,
  TERMINAL_STATUSES,
  type WebhookEvent,
  type WebhookEventType,
} from '@imagen-queue/contract';
import { Queue, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import { createBatchStore } from '../batch-store.ts';
import { coalesceBy } from '../coalesce.ts';
import { createJobStore, type TransitionEvent, type TransitionOutcome } from '../job-store.ts';
import type { RedisClient } from '../redis.ts';
import { createWebhookEventStore, jobEventFrom, type WebhookEventStore } from './event-store.ts';

export interface WebhookDispatcherOptions {
  /** The event store's and the outbox's commands. */
  connection: RedisClient;
  /**
   * The delivery queue's: BullMQ defines its few dozen scripts on whatever connection a queue
   * is given, and an auto-pipelining ioredis connection copies every defined script onto each
   * pipeline it makes, one per flush (tens of µs each with BullMQ's). A connection that already
   * carries BullMQ's scripts, or that does not auto-pipeline, keeps that off `connection`.
   * @defaultValue `connection`
   */
  queueConnection?: RedisClient;
  prefix: string;
  /** Delays between delivery attempts (`WEBHOOK_RETRY_SCHEDULE`); attempts = length + 1. */
  retryScheduleMs: number[];
  /** How long events and their delivery log stay readable. */
  retentionSeconds: number;
  /** Errors of the queue's connection (logged by the caller). */
  onError?: (error: Error) => void;
  /** BullMQ's telemetry (bullmq-otel), so a delivery continues the trace that caused it. */
  telemetry?: Telemetry;
  /**
   * Makes the first attempt of a job's event recorded by its terminal transition in this
   * process, without the delivery queue (the worker's); absent = the queue makes every attempt.
   */
  firstAttempt?: FirstAttempt;
}

/**
 * The first delivery attempt of an event, made by the process that finished the job.
 * `declined` = not made (too many in flight): the queue makes it; `{ retryInMs }` = it failed,
 * and the queue makes the next ones on the rest of the schedule; `done` = nothing more to do
 * (delivered, given up, or the event is no longer pending).
 */
export interface FirstAttempt {
  /** `event`, when given, is the event as just recorded: it is not read again. */
  send(
    tenant: string,
    eventId: string,
    event?: WebhookEvent,
  ): Promise<'done' | 'declined' | { retryInMs: number }>;
  /**
   * The longest an attempt takes (reads, POST with its timeout, the attempt's write). The
   * transition's outbox entry comes due this much later, so the outbox drain does not enqueue
   * the event while its first attempt may still be on its way (a second copy).
   */
  withinMs: number;
}

export interface WebhookDispatcher {
  /**
   * After an applied terminal transition: records and enqueues the job's event (to its
   * webhook_url, else its batch's) and, when `batchCompletion > 0`, the batch.completed event.
   * Safe to call twice for one transition: the event ids are deterministic.
   */
  jobFinished(
    job: JobRecord,
    outcome: Pick<TransitionOutcome, 'terminalCount' | 'batchCompletion' | 'event' | 'recorded'>,
  ): Promise<void>;
  /**
   * The job event a terminal transition to `status` would owe, for the transition script to
   * record itself (`TransitionChange.event`); pass what became of it to `jobFinished`.
   */
  eventFor(job: JobRecord, status: JobStatus): TransitionEvent | undefined;
  /**
   * For a job found already terminal (a rerun after a crash between the transition and the
   * enqueue): enqueues its latest events again, which is a no-op when they were enqueued. Left
   * alone while its outbox entry is not due (its first attempt may be on its way).
   */
  jobFoundFinished(tenant: string, jobId: string): Promise<void>;
  /** Sends an event again with the same webhook-id; false when the tenant has no such event. */
  /** Sends a delivered or given-up event again; one still being delivered is left alone. */
  redeliver(tenant: string, eventId: string): Promise<'queued' | 'missing' | 'pending'>;
  events: WebhookEventStore;
  queue: Queue<DeliverWebhookPayload>;
  close(): Promise<void>;
}

const JOB_EVENT: Record<string, WebhookEventType> = {
  succeeded: 'job.succeeded',
  failed: 'job.failed',
  canceled: 'job.canceled',
};

/**
 * Turns terminal transitions into webhook events. The first attempt is enqueued right here
 * (no polling loop), with the event id as the BullMQ job id so a duplicate enqueue is a no-op.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { connection, prefix, retryScheduleMs, retentionSeconds } = options;
  const keys = redisKeys(prefix);
  const jobs = createJobStore(connection, { prefix, retentionSeconds });
  const batches = createBatchStore(connection, { prefix });
  const events = createWebhookEventStore(connection, { prefix, retentionSeconds });
  const queue = new Queue<DeliverWebhookPayload>(QUEUES.webhooks, {
    connection: options.queueConnection ?? connection,
    prefix: bullPrefix(prefix),
    streams: QUEUE_STREAMS,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
  });
  queue.on('error', (error) => options.onError?.(error));
  const jobOptions = {
    attempts: retryScheduleMs.length + 1,
    backoff: { type: 'webhook' },
    // The event record and its delivery log are what stays readable; BullMQ's finished entries
    // are trimmed by count as well by the delivery worker (`keepFinished`).
  };

  const deliver = async (tenant: string, eventId: string) => {
    await queue.add(DELIVER_WEBHOOK, { tenant, eventId }, { ...jobOptions, jobId: eventId });
  };

  // An event the transition recorded: its first attempt here when this process makes them,
  // the queue only for what is left (same job id: a repeat, or the drain's, is a no-op).
  const deliverRecorded = async (tenant: string, eventId: string, event?: WebhookEvent) => {
    const first = options.firstAttempt
      ? await options.firstAttempt.send(tenant, eventId, event)
      : null;
    if (first === null || first === 'declined') return deliver(tenant, eventId);
    if (first === 'done') return;
    await queue.add(
      DELIVER_WEBHOOK,
      { tenant, eventId, attemptsBefore: 1 },
      { ...jobOptions, attempts: jobOptions.attempts - 1, delay: first.retryInMs, jobId: eventId },
    );
  };

  const enqueue = async (event: WebhookEvent, indexes: { jobId?: string; batchId?: string }) => {
    const status = await events.record(event, indexes);
    if (status !== 'pending') return;
    await deliver(event.tenant, event.id);
  };

  const batchCompleted = async (tenant: string, batchId: string, completion: number) => {
    const batch = await batches.get(tenant, batchId);
    if (!batch?.webhookUrl) return;
    await enqueue(
      {
        id: batchEventId(batchId, completion),
        tenant,
        type: 'batch.completed',
        url: batch.webhookUrl,
        timestamp: batch.finishedAt ?? new Date().toISOString(),
        subject: { kind: 'batch', record: batch },
        status: 'pending',
        deliveredAt: null,
      },
      { batchId },
    );
  };

  // A tenant's settled entries go in one ZREM, those settled meanwhile in the next.
  const settleOutbox = coalesceBy(
    (a: string[], b: string[]) => a.concat(b),
    (tenant, jobIds) => (connection as Redis).zrem(keys.outbox(tenant), ...jobIds),
  );

  const jobEvent = async (
    job: JobRecord,
    outcome: Parameters<WebhookDispatcher['jobFinished']>[1],
  ) => {
    const type = JOB_EVENT[job.status];
    if (outcome.event && outcome.event !== 'caller') {
      // The transition recorded the event itself (eventFor): only its delivery is left.
      if (outcome.event === 'owed') {
        const id = jobEventId(job.id, outcome.terminalCount);
        const { recorded } = outcome;
        await deliverRecorded(
          job.tenant,
          id,
          recorded && jobEventFrom(job.tenant, id, recorded.eventFields, recorded.record),
        );
      }
      return;
    }
    if (!type || outcome.terminalCount === 0) return;
    // The caller's record may predate the transition (no result yet): take the stored one.
    const stored = await jobs.get(job.tenant, job.id);
    const snapshot = stored && stored.status === job.status ? stored : job;
    const batch = job.batchId ? await batches.get(job.tenant, job.batchId) : null;
    const url = job.webhookUrl ?? batch?.webhookUrl ?? null;
    if (!url) return;
    await enqueue(
      {
        id: jobEventId(job.id, outcome.terminalCount),
        tenant: job.tenant,
        type,
        url,
        timestamp: snapshot.finishedAt ?? new Date().toISOString(),
        subject: { kind: 'job', record: snapshot },
        status: 'pending',
        deliveredAt: null,
      },
      { jobId: job.id, ...(job.batchId ? { batchId: job.batchId } : {}) },
    );
  };

  const jobFinished: WebhookDispatcher['jobFinished'] = async (job, outcome) => {
    // Side by side: the batch's event need not wait for the job's first attempt.
    await Promise.all([
      jobEvent(job, outcome),
      outcome.batchCompletion > 0 && job.batchId
        ? batchCompleted(job.tenant, job.batchId, outcome.batchCompletion)
        : undefined,
    ]);
    // Delivered, or in the queue: the transition's outbox entry is settled (outbox.ts). Off the
    // job's path and together with the other jobs settled meanwhile: an entry left behind by a
    // crash only makes the outbox drain enqueue its events again, a no-op.
    if (outcome.terminalCount > 0) {
      settleOutbox(job.tenant, [job.id]).catch((error: Error) => options.onError?.(error));
    }
  };

  const eventFor: WebhookDispatcher['eventFor'] = (job, status) => {
    const type = JOB_EVENT[status];
    if (!type) return undefined;
    const terminalCount = (job.terminalCount ?? 0) + 1;
    const id = jobEventId(job.id, terminalCount);
    return {
      terminalCount,
      id,
      type,
      url: job.webhookUrl,
      key: keys.webhookEvent(job.tenant, id),
      ...(options.firstAttempt ? { outboxDelayMs: options.firstAttempt.withinMs } : {}),
    };
  };

  return {
    events,
    queue,
    jobFinished,
    eventFor,
    async jobFoundFinished(tenant, jobId) {
      const client = connection as Redis;
      // An outbox entry not due yet is a first attempt's that may still be on its way (a rerun
      // of the job while its worker sends): enqueueing now could send a second copy. What it
      // owes is that worker's, or the drain's once the entry is due.
      const due = await client.zscore(keys.outbox(tenant), jobId);
      if (due !== null && Number(due) > Date.now()) return;
      const job = await jobs.get(tenant, jobId);
      if (!job || !TERMINAL_STATUSES.includes(job.status)) return;
      const terminalCount = Number(await client.hget(keys.job(tenant, jobId), 'terminal_count'));
      let batchCompletion = 0;
      if (job.batchId) {
        const [status, completions] = await client.hmget(
          keys.batch(tenant, job.batchId),
          'status',
          'completions',
        );
        if (status === 'completed' || status === 'canceled') batchCompletion = Number(completions);
      }
      await jobFinished(job, { terminalCount: terminalCount || 0, batchCompletion });
    },
    async redeliver(tenant, eventId) {
      const event = await events.get(tenant, eventId);
      if (!event) return 'missing';
      // Its delivery (or its retries) is still running: a second chain would post it twice.
      if (event.status === 'pending') return 'pending';
      await events.setStatus(tenant, eventId, 'pending');
      // A new BullMQ job (the first may still be kept as completed or failed), same webhook-id.
      await queue.add(
        DELIVER_WEBHOOK,
        { tenant, eventId },
        {
          ...jobOptions,
          jobId: `${eventId}_r${Date.now()}`,
        },
      );
      return 'queued';
    },
    async close() {
      await queue.close();
    },
  };
}
