import {
  newJobRecord,
  normalizeGeneration,
  type WebhookAttempt,
  type WebhookEvent,
} from '@imagen-queue/contract';
import { createLogger } from '@imagen-queue/shared';
import { describe, expect, it } from 'vitest';
import { createFirstAttempt } from './first-attempt.ts';
import { memoryEventStore } from './memory-event-store.test-support.ts';
import type { SendResult } from './send-webhook.ts';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const JOB_ID = 'job_01jd5q3w4xk8v2m9n7p6r5t4s3';
const EVENT_ID = `evt_${JOB_ID}_1`;

/** A first attempt against an in-memory event and a receiver that answers `answer` when told. */
function fake(schedule: number[], maxInFlight = 16) {
  const event: WebhookEvent = {
    id: EVENT_ID,
    tenant: 'acme',
    type: 'job.succeeded',
    url: 'https://hooks.example.com/in',
    timestamp: '2026-01-01T00:00:02.000Z',
    subject: {
      kind: 'job',
      record: {
        ...newJobRecord(
          {
            id: JOB_ID,
            tenant: 'acme',
            batchId: null,
            request: normalizeGeneration({ prompt: 'a kite' }),
            metadata: {},
            webhookUrl: 'https://hooks.example.com/in',
            priority: 0,
          },
          '2026-01-01T00:00:00.000Z',
        ),
        status: 'succeeded',
        attempts: 1,
        startedAt: '2026-01-01T00:00:01.000Z',
        finishedAt: '2026-01-01T00:00:02.000Z',
      },
    },
    status: 'pending',
    deliveredAt: null,
  };
  const attempts: WebhookAttempt[] = [];
  const answers: ((result: Partial<SendResult>) => void)[] = [];
  const first = createFirstAttempt({
    logger: createLogger({ level: 'silent', name: 'test' }),
    timeoutMs: 10_000,
    maxInFlight,
    retryScheduleMs: schedule,
    events: memoryEventStore(event, attempts),
    secrets: {
      current: async () => SECRET,
      rotate: async () => SECRET,
      signingKeys: async () => [SECRET],
    },
    storage: { presignGet: async (key) => `https://s3.example.com/${key}` },
    http: {
      send: () =>
        new Promise((resolve) =>
          answers.push((result) =>
            resolve({ statusCode: 200, error: null, durationMs: 1, retryAfterMs: null, ...result }),
          ),
        ),
      close: async () => {},
    },
  });
  /** Answers the oldest POST still waiting, once it has been sent. */
  const answer = async (result: Partial<SendResult>) => {
    while (answers.length === 0) await new Promise((resolve) => setImmediate(resolve));
    answers.shift()!(result);
  };
  return { first, event, attempts, answer };
}

describe('createFirstAttempt', () => {
  it('is done once the receiver answers 2xx, the attempt in the delivery log', async () => {
    const { first, event, attempts, answer } = fake([1000]);
    const sent = first.send('acme', EVENT_ID);
    await answer({ statusCode: 204 });
    expect(await sent).toBe('done');
    expect(event.status).toBe('delivered');
    expect(attempts).toEqual([expect.objectContaining({ status_code: 204, next_retry_at: null })]);
  });

  it('hands a failure to the queue after the schedule’s first delay, or gives up without one', async () => {
    const failing = fake([1000, 2000]);
    const retried = failing.first.send('acme', EVENT_ID);
    await failing.answer({ statusCode: 500 });
    const outcome = (await retried) as { retryInMs: number };
    expect(outcome.retryInMs).toBeGreaterThanOrEqual(800);
    expect(outcome.retryInMs).toBeLessThanOrEqual(1200);
    expect(failing.event.status).toBe('pending');

    const noRetries = fake([]);
    const last = noRetries.first.send('acme', EVENT_ID);
    await noRetries.answer({ statusCode: 500 });
    expect(await last).toBe('done');
    expect(noRetries.event.status).toBe('failed');
  });

  it('declines beyond its attempts in flight (the queue makes those), and takes more once one ends', async () => {
    const { first, event, answer } = fake([1000], 1);
    const slow = first.send('acme', EVENT_ID);
    expect(await first.send('acme', EVENT_ID)).toBe('declined');
    await answer({ statusCode: 200 });
    expect(await slow).toBe('done');
    event.status = 'pending'; // another event, as far as the fake store can tell
    const next = first.send('acme', EVENT_ID);
    await answer({ statusCode: 200 });
    expect(await next).toBe('done');
  });

  it('gives the outbox three delivery timeouts before it may take the event', () => {
    expect(fake([]).first.withinMs).toBe(30_000);
  });
});
