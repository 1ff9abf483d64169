import {
  type DeliverWebhookPayload,
  renderEventBody,
  type WebhookAttempt,
  type WebhookEvent,
} from '@imagen-queue/contract';
import { childWithIds, type Logger, type Metrics, type Storage } from '@imagen-queue/shared';
import type { WebhookEventStore, WebhookSecrets } from '@imagen-queue/store';
import { Webhook } from 'standardwebhooks';
import type { WebhookHttp } from '../webhooks/send-webhook.ts';

export interface DeliveryContext {
  log: Logger;
  events: WebhookEventStore;
  secrets: WebhookSecrets;
  storage: Pick<Storage, 'presignGet'>;
  http: WebhookHttp;
  /** Delays between attempts; when they are used up the event is kept as `failed`. */
  retryScheduleMs: number[];
  /** Attempts made before this one: the worker's first, if it made it, and BullMQ's `attemptsMade`. */
  attemptsMade: number;
  metrics?: Metrics;
}

/** Try again after `delayMs`; the BullMQ adapter's backoff strategy returns it. */
export class RetryDelivery extends Error {
  readonly delayMs: number;
  constructor(message: string, delayMs: number) {
    super(message);
    this.name = 'RetryDelivery';
    this.delayMs = delayMs;
  }
}

/** No more attempts: the receiver said 410 Gone, or the schedule is used up. */
export class StopDelivery extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StopDelivery';
  }
}

/** A receiver's Retry-After is honoured up to this; beyond it the schedule decides. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** ±20 % so a receiver that was down is not hit by every event in the same second. */
export function withJitter(delayMs: number, random = Math.random): number {
  return Math.round(delayMs * (0.8 + 0.4 * random()));
}

/** How one attempt ended: what the caller does next (`deliverWebhook` throws it to BullMQ). */
export type AttemptOutcome =
  | { kind: 'delivered' }
  /** Not pending (delivered, given up, or gone): nothing was sent. */
  | { kind: 'skipped' }
  | { kind: 'retry'; why: string; delayMs: number }
  /** 410 Gone, or the schedule used up: no more attempts. */
  | { kind: 'stop'; why: string };

/**
 * One delivery attempt of one event, run by the delivery queue (`deliverWebhook`) and, for a
 * job's first, by the worker that finished the job (`first-attempt.ts`): body rendered from the
 * event's subject, signed per Standard Webhooks with every current secret of the tenant (two
 * during a rotation), POSTed, and the attempt written to the delivery log whatever happened.
 * `recorded` is the event as its transition has just recorded it, which is then not read again.
 */
export async function attemptDelivery(
  payload: DeliverWebhookPayload,
  ctx: DeliveryContext,
  recorded?: WebhookEvent,
): Promise<AttemptOutcome> {
  const { tenant, eventId } = payload;
  // The secrets are read beside the event (one round trip's wait instead of two); they are
  // the ones current when the attempt starts.
  const [event, keys] = await Promise.all([
    recorded ?? ctx.events.get(tenant, eventId),
    ctx.secrets.signingKeys(tenant, Date.now()),
  ]);
  if (event?.status !== 'pending') {
    ctx.log.info({ status: event?.status ?? 'missing' }, 'webhook event not pending; skipping');
    return { kind: 'skipped' };
  }
  const body = await renderEventBody(event, ctx.storage);
  const sentAt = new Date();
  const signature = keys.map((key) => new Webhook(key).sign(event.id, sentAt, body)).join(' ');
  const result = await ctx.http.send(
    event.url,
    {
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body,
  );

  const delivered =
    result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const gone = result.statusCode === 410;
  const scheduled = ctx.retryScheduleMs[ctx.attemptsMade];
  const retryInMs =
    delivered || gone || scheduled === undefined
      ? null
      : Math.min(result.retryAfterMs ?? withJitter(scheduled), MAX_RETRY_AFTER_MS);
  const attempt: WebhookAttempt = {
    at: sentAt.toISOString(),
    status_code: result.statusCode,
    error: result.error,
    duration_ms: result.durationMs,
    next_retry_at: retryInMs === null ? null : new Date(Date.now() + retryInMs).toISOString(),
  };
  const outcome = delivered ? 'delivered' : retryInMs === null ? 'exhausted' : 'failed';
  // The attempt and the status it leaves the event in, in one round trip.
  const status = delivered ? 'delivered' : gone ? 'stopped' : retryInMs === null ? 'failed' : null;
  await ctx.events.addAttempt(
    tenant,
    eventId,
    attempt,
    status ? { status, at: new Date().toISOString() } : undefined,
  );
  ctx.metrics?.webhookDeliveries.inc({ event: event.type, outcome });
  ctx.metrics?.webhookLatency.observe({ event: event.type, outcome }, result.durationMs / 1000);
  const log = childWithIds(ctx.log, { eventId, type: event.type, statusCode: result.statusCode });

  if (delivered) {
    // As a binding, not the line's object: the same bytes, without pino's redaction pass.
    childWithIds(log, { durationMs: result.durationMs }).info('webhook delivered');
    return { kind: 'delivered' };
  }
  const why = result.error ?? `receiver answered ${result.statusCode}`;
  if (gone) {
    log.warn('webhook receiver answered 410 Gone; not retrying');
    return { kind: 'stop', why };
  }
  if (retryInMs === null) {
    log.warn({ error: why }, 'webhook delivery failed; retries used up');
    return { kind: 'stop', why };
  }
  log.warn({ error: why, retryInMs }, 'webhook delivery failed; will retry');
  return { kind: 'retry', why, delayMs: retryInMs };
}

/** One attempt as a delivery-queue job: a failure is thrown for BullMQ to retry or give up. */
export async function deliverWebhook(
  payload: DeliverWebhookPayload,
  ctx: DeliveryContext,
): Promise<void> {
  const outcome = await attemptDelivery(payload, ctx);
  if (outcome.kind === 'stop') throw new StopDelivery(outcome.why);
  if (outcome.kind === 'retry') throw new RetryDelivery(outcome.why, outcome.delayMs);
}
