import { childWithIds, type Logger, noTracing, type Tracing } from '@imagen-queue/shared';
import type { FirstAttempt } from '@imagen-queue/store';
import { attemptDelivery, type DeliveryContext } from '../processors/deliver-webhook.ts';

export interface FirstAttemptOptions extends Omit<DeliveryContext, 'attemptsMade' | 'log'> {
  logger: Logger;
  /** The HTTP client's timeout for one delivery (`WebhookHttpOptions.timeoutMs`). */
  timeoutMs: number;
  /** First attempts in flight at once; more go to the delivery queue. @defaultValue 16 */
  maxInFlight?: number;
  /** OpenTelemetry, when configured. @defaultValue noTracing */
  tracing?: Tracing;
}

/** `evt_job_…_2` names its job. */
const jobOfEvent = (eventId: string) => /^evt_(job_[0-9a-z]{26})_/.exec(eventId)?.[1] ?? null;

/**
 * The first delivery attempt of a finished job's event, made by the worker that finished it
 * rather than through the delivery queue: the same attempt (`attemptDelivery`: signed, through
 * the SSRF guard, logged in the event's delivery log) without a second BullMQ job's add, fetch
 * and completion. Only retries go through the queue. A slow receiver holds at most
 * `maxInFlight` attempts here; beyond that the queue takes them, as before.
 */
export function createFirstAttempt(options: FirstAttemptOptions): FirstAttempt {
  const { logger, timeoutMs, maxInFlight = 16, tracing = noTracing, ...delivery } = options;
  let inFlight = 0;
  return {
    // Reads, the POST bounded by its timeout, the attempt's write: three timeouts cover them
    // with room for a busy event loop.
    withinMs: 3 * timeoutMs,
    async send(tenant, eventId, event) {
      if (inFlight >= maxInFlight) return 'declined';
      inFlight += 1;
      try {
        // In the finished job's trace, as the delivery queue's `process webhooks` span would be.
        return await tracing.span('webhook.first_attempt', {}, async () => {
          const jobId = jobOfEvent(eventId);
          const log = childWithIds(logger, { tenant, eventId, jobId, ...tracing.logIds() });
          const ctx = { ...delivery, log, attemptsMade: 0 };
          const outcome = await attemptDelivery({ tenant, eventId }, ctx, event);
          return outcome.kind === 'retry' ? { retryInMs: outcome.delayMs } : 'done';
        });
      } finally {
        inFlight -= 1;
      }
    },
  };
}
