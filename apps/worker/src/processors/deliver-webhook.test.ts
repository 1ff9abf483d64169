import {
  type JobRecord,
  normalizeGeneration,
  type WebhookAttempt,
  type WebhookEvent,
} from '@imagen-queue/contract';
import { createLogger } from '@imagen-queue/shared';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { memoryEventStore } from '../webhooks/memory-event-store.test-support.ts';
import type { SendResult, WebhookHttp } from '../webhooks/send-webhook.ts';
import {
  type DeliveryContext,
  deliverWebhook,
  RetryDelivery,
  StopDelivery,
  withJitter,
} from './deliver-webhook.ts';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

const job: JobRecord = {
  id: 'job_01jd5q3w4xk8v2m9n7p6r5t4s3',
  tenant: 'acme',
  batchId: null,
  status: 'succeeded',
  attempts: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: '2026-01-01T00:00:01.000Z',
  finishedAt: '2026-01-01T00:00:02.000Z',
  request: normalizeGeneration({ prompt: 'a kite' }),
  metadata: {},
  webhookUrl: 'https://hooks.example.com/in',
  priority: 0,
  result: {
    images: [
      {
        key: 'acme/single/job/0.png',
        mime_type: 'image/png',
        width: 1024,
        height: 1024,
        bytes: 10,
        sha256: 'x',
      },
    ],
    enhanced_prompt: null,
    filtered: 0,
  },
  error: null,
};

/** A fake ctx: an in-memory event store, two signing keys, a scripted receiver. */
function fakeCtx(answers: Partial<SendResult>[], attemptsMade = 0, schedule = [1000, 2000]) {
  const event: WebhookEvent = {
    id: `evt_${job.id}_1`,
    tenant: 'acme',
    type: 'job.succeeded',
    url: job.webhookUrl!,
    timestamp: job.finishedAt!,
    subject: { kind: 'job', record: job },
    status: 'pending',
    deliveredAt: null,
  };
  const attempts: WebhookAttempt[] = [];
  const sent: { url: string; headers: Record<string, string>; body: string }[] = [];
  const events = memoryEventStore(event, attempts);
  const http: WebhookHttp = {
    send: async (url, headers, body) => {
      sent.push({ url, headers, body });
      return {
        statusCode: 200,
        error: null,
        durationMs: 3,
        retryAfterMs: null,
        ...answers.shift(),
      };
    },
    close: async () => {},
  };
  const ctx: DeliveryContext = {
    log: createLogger({ level: 'silent', name: 'test' }),
    events,
    secrets: {
      current: async () => SECRET,
      rotate: async () => SECRET,
      signingKeys: async () => [SECRET, OLD_SECRET],
    },
    storage: { presignGet: async (key) => `https://s3.example.com/${key}?sig=1` },
    http,
    retryScheduleMs: schedule,
    attemptsMade,
  };
  return { ctx, event, attempts, sent };
}

const payload = { tenant: 'acme', eventId: `evt_${job.id}_1` };

describe('deliverWebhook', () => {
  it('signs the body with every signing key, verifiable by either', async () => {
    const { ctx, event, attempts, sent } = fakeCtx([{ statusCode: 204 }]);
    await deliverWebhook(payload, ctx);
    const [{ headers, body }] = sent as [(typeof sent)[0]];
    expect(headers['webhook-id']).toBe(event.id);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [SECRET, OLD_SECRET]) {
      expect(new Webhook(secret).verify(body, headers)).toMatchObject({
        type: 'job.succeeded',
        timestamp: job.finishedAt,
        data: {
          id: job.id,
          status: 'succeeded',
          result: { images: [{ url: 'https://s3.example.com/acme/single/job/0.png?sig=1' }] },
        },
      });
    }
    expect(event.status).toBe('delivered');
    expect(attempts).toEqual([expect.objectContaining({ status_code: 204, next_retry_at: null })]);
  });

  it('schedules the next retry from the schedule, and gives up when it is used up', async () => {
    const first = fakeCtx([{ statusCode: 500 }], 0);
    const error = await deliverWebhook(payload, first.ctx).catch((e) => e);
    expect(error).toBeInstanceOf(RetryDelivery);
    expect(error.delayMs).toBeGreaterThanOrEqual(800);
    expect(error.delayMs).toBeLessThanOrEqual(1200);
    expect(first.attempts[0]!.next_retry_at).not.toBeNull();
    expect(first.event.status).toBe('pending');

    const last = fakeCtx([{ statusCode: 500 }], 2);
    await expect(deliverWebhook(payload, last.ctx)).rejects.toBeInstanceOf(StopDelivery);
    expect(last.event.status).toBe('failed');
    expect(last.attempts[0]!.next_retry_at).toBeNull();
  });

  it('stops at 410 and honours Retry-After (capped at a day)', async () => {
    const gone = fakeCtx([{ statusCode: 410 }]);
    await expect(deliverWebhook(payload, gone.ctx)).rejects.toBeInstanceOf(StopDelivery);
    expect(gone.event.status).toBe('stopped');

    const busy = fakeCtx([{ statusCode: 503, retryAfterMs: 30_000 }]);
    await expect(deliverWebhook(payload, busy.ctx)).rejects.toMatchObject({ delayMs: 30_000 });
    const huge = fakeCtx([{ statusCode: 429, retryAfterMs: 10 * 86_400_000 }]);
    await expect(deliverWebhook(payload, huge.ctx)).rejects.toMatchObject({ delayMs: 86_400_000 });
  });

  it('skips an event that is no longer pending', async () => {
    const { ctx, event, sent } = fakeCtx([]);
    event.status = 'delivered';
    ctx.events.get = async () => ({ ...event });
    await deliverWebhook(payload, ctx);
    expect(sent).toHaveLength(0);
  });

  it('jitters within ±20 %', () => {
    expect(withJitter(1000, () => 0)).toBe(800);
    expect(withJitter(1000, () => 1)).toBe(1200);
  });
});
