import type { DeliveryStatus, WebhookAttempt, WebhookEvent } from '@imagen-queue/contract';
import type { WebhookEventStore } from '@imagen-queue/store';

/** One event and its attempts kept in memory, for tests of a delivery attempt's outcomes. */
export function memoryEventStore(
  event: WebhookEvent,
  attempts: WebhookAttempt[],
): WebhookEventStore {
  return {
    record: async () => 'pending',
    get: async () => ({ ...event }),
    attempts: async () => attempts,
    addAttempt: async (_t, _id, attempt, then) => {
      attempts.push(attempt);
      if (then) event.status = then.status;
    },
    setStatus: async (_t, _id, status: DeliveryStatus) => {
      event.status = status;
    },
    list: async () => [],
  };
}
