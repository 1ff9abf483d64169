import Type from 'typebox';
import type { BatchRecord } from './records/batch.ts';
import {
  defineRecord,
  field,
  nullableText,
  type RecordOf,
  text,
  viewProperties,
  viewValues,
} from './records/codec.ts';
import { type JobRecord, Timestamp } from './records/job.ts';
import { type ImageLinks, toBatchView, toJobView } from './views.ts';

export const WEBHOOK_EVENT_TYPES = [
  'job.succeeded',
  'job.failed',
  'job.canceled',
  'batch.completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'stopped'] as const;
/** `failed` = every retry used; `stopped` = the receiver answered 410 Gone. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A field that is part of the event's key, not of its hash (decoded from what the caller adds). */
const fromKey = <const N extends string, const V extends boolean>(
  name: N,
  view: V,
  schema = Type.String(),
) =>
  field({
    name,
    schema,
    view,
    encode: () => {},
    decode: (hash) => hash[name]!,
  });

/** One event as stored, its subject apart (see `WebhookEvent`). */
export const WEBHOOK_EVENT_RECORD = defineRecord({
  id: fromKey('id', true, Type.String({ examples: ['evt_job_01jd5q3w4xk8v2m9n7p6r5t4s3_1'] })),
  tenant: fromKey('tenant', false),
  type: text('type', Type.Enum(WEBHOOK_EVENT_TYPES), true),
  url: text('url', Type.String(), true),
  status: text('status', Type.Enum(DELIVERY_STATUSES), true),
  /** When the event happened: the body's `timestamp`, the same on every attempt. */
  timestamp: text('timestamp', Timestamp, true),
  deliveredAt: nullableText('delivered_at', Timestamp, true),
});

/**
 * One event. A batch's is a snapshot taken when the event happened; a job's is the job's record
 * as it is when read (stored as a reference: the record lives as long as its events).
 */
export type WebhookEvent = RecordOf<typeof WEBHOOK_EVENT_RECORD.fields> & {
  subject: { kind: 'job'; record: JobRecord } | { kind: 'batch'; record: BatchRecord };
};

/** One try at delivering an event. */
export const WebhookAttempt = Type.Object({
  at: Type.String({ format: 'date-time' }),
  /** The receiver's status code; null when no answer came (timeout, refused, SSRF guard). */
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Integer(),
  /** When the next try is due; null when this was the last. */
  next_retry_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type WebhookAttempt = Type.Static<typeof WebhookAttempt>;

/** An event and its attempts, as the delivery-log endpoints show it. */
export const WebhookEventView = Type.Object({
  ...viewProperties(WEBHOOK_EVENT_RECORD),
  attempts: Type.Array(WebhookAttempt),
});
export type WebhookEventView = Type.Static<typeof WebhookEventView>;

export function toWebhookEventView(
  event: WebhookEvent,
  attempts: WebhookAttempt[],
): WebhookEventView {
  return { ...viewValues(WEBHOOK_EVENT_RECORD, event), attempts };
}

/** Deterministic ids: one terminal transition or one batch completion is one event. */
export const jobEventId = (jobId: string, terminalCount: number) => `evt_${jobId}_${terminalCount}`;
export const batchEventId = (batchId: string, completion: number) =>
  `evt_${batchId}_c${completion}`;

/**
 * The body of one delivery: `{ type, timestamp, data }`. Rendered per attempt so presigned
 * URLs are fresh when a retry comes hours later; everything else is the event's subject.
 */
export async function renderEventBody(event: WebhookEvent, storage: ImageLinks): Promise<string> {
  const data =
    event.subject.kind === 'job'
      ? await toJobView(event.subject.record, storage)
      : toBatchView(event.subject.record);
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data });
}
