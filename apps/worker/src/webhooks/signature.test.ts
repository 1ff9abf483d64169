import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signatureHeader } from './signature.ts';

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;

describe('signatureHeader', () => {
  it("matches standardwebhooks' Webhook.sign byte for byte, non-ASCII bodies too", () => {
    const key = secret();
    const at = new Date('2026-12-08T01:02:03.456Z');
    for (const body of ['{}', '{"prompt":"café ☕ 灯台","n":1}', 'x'.repeat(70_000)]) {
      const expected = new Webhook(key).sign('evt_job_1_1', at, body);
      expect(signatureHeader([key], 'evt_job_1_1', Math.floor(at.getTime() / 1000), body)).toBe(
        expected,
      );
    }
  });

  it('signs with every secret of a rotation, each verifiable on its own', () => {
    const [current, previous] = [secret(), secret()];
    const now = new Date();
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const body = '{"type":"job.succeeded"}';
    const header = signatureHeader([current, previous], 'evt_1', Number(timestamp), body);
    expect(header.split(' ')).toHaveLength(2);
    for (const key of [current, previous]) {
      const headers = {
        'webhook-id': 'evt_1',
        'webhook-timestamp': timestamp,
        'webhook-signature': header,
      };
      expect(new Webhook(key).verify(body, headers)).toEqual({ type: 'job.succeeded' });
    }
  });

  it('refuses an empty secret, as Webhook does', () => {
    expect(() => signatureHeader(['whsec_'], 'evt_1', 0, '{}')).toThrow();
  });
});
