import { BATCH_ID_PATTERN, JOB_ID_PATTERN, WebhookEventView } from '@imagen-queue/contract';
import Type from 'typebox';

export const WebhookSecret = Type.Object({
  key: Type.String({
    pattern: '^whsec_',
    description: 'Standard Webhooks secret; give it to `new Webhook(key)` to verify deliveries',
  }),
});

export const EVENT_ID_PATTERN = '^evt_(job|bat)_[0-9a-z]{26}_c?[0-9]{1,9}$';
export const EventParams = Type.Object({ event_id: Type.String({ pattern: EVENT_ID_PATTERN }) });
export const JobParams = Type.Object({ id: Type.String({ pattern: JOB_ID_PATTERN }) });
export const BatchParams = Type.Object({ id: Type.String({ pattern: BATCH_ID_PATTERN }) });

export const DeliveryLogQuery = Type.Object({
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: 'From next_cursor' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

export const DeliveryLog = Type.Object({
  data: Type.Array(WebhookEventView),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});
