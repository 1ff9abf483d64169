import Type from 'typebox';

/**
 * The job catalogue: every BullMQ queue, job name and payload, in one place. Payloads carry
 * references only; the job record in Redis is the source of truth and image bytes never
 * enter a queue.
 */
export const QUEUES = {
  generation: 'generation',
  /** Webhook deliveries: their own queue, so a slow receiver never holds up generation. */
  webhooks: 'webhooks',
} as const;

export const GenerateImagesPayload = Type.Object({
  jobId: Type.String(),
  tenant: Type.String(),
  /** The API request that created the job, so one grep follows it end to end. */
  requestId: Type.Optional(Type.String()),
});
export type GenerateImagesPayload = Type.Static<typeof GenerateImagesPayload>;

/** One delivery of one webhook event; the event record (Redis) holds the rest. */
export const DeliverWebhookPayload = Type.Object({
  tenant: Type.String(),
  eventId: Type.String(),
  /**
   * Attempts made before the queue's: 1 when the worker that finished the job made the first
   * itself (`FirstAttempt`), so the retry schedule goes on where that attempt left it.
   */
  attemptsBefore: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type DeliverWebhookPayload = Type.Static<typeof DeliverWebhookPayload>;
/** The only job name of the `webhooks` queue. */
export const DELIVER_WEBHOOK = 'deliver-webhook' as const;

/** The generation queue's jobs. */
export const JOB_PAYLOADS = {
  'generate-images': GenerateImagesPayload,
} as const;

export type JobName = keyof typeof JOB_PAYLOADS;
export type JobPayload<N extends JobName> = Type.Static<(typeof JOB_PAYLOADS)[N]>;

/**
 * BullMQ's event stream per queue (`<queue>:events`), which nothing of ours reads (our own
 * streams carry what SSE shows): 1,000 entries rather than BullMQ's 10,000. Every `Queue` of
 * ours passes it, since each one writes it to the queue's meta when it starts.
 */
export const QUEUE_STREAMS = { events: { maxLen: 1000 } };
