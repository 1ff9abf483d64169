import { randomBytes } from 'node:crypto';
import { redisKeys } from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import type { RedisClient } from '../redis.ts';
import { defineScripts } from '../scripts.ts';

/** How long the secret a rotation replaced keeps signing beside the new one. */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

/**
 * The tenant's Standard Webhooks signing secrets. One `whsec_` secret a tenant, created on
 * first use from a CSPRNG; a rotation keeps the old one signing for `SECRET_OVERLAP_MS` so
 * receivers can switch without rejecting a delivery.
 */
export interface WebhookSecrets {
  /** The current secret, created when the tenant has none. */
  current(tenant: string): Promise<string>;
  /** Issues a new current secret; the replaced one signs too until the overlap ends. */
  rotate(tenant: string): Promise<string>;
  /** Every secret a delivery is signed with now: the current one first. */
  signingKeys(tenant: string, now?: number): Promise<string[]>;
}

/** `whsec_` + base64 of 32 random bytes, the form `standardwebhooks` expects. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function createWebhookSecrets(
  redis: RedisClient,
  options: { prefix: string },
): WebhookSecrets {
  const keys = redisKeys(options.prefix);
  const client = redis as Redis;
  const scripts = defineScripts<{
    rotate(key: string, next: string, previousUntil: string): Promise<number>;
  }>(redis, { rotate: { file: 'secret-rotate', keys: 1 } });
  const current = async (tenant: string) => {
    const key = keys.webhookSecret(tenant);
    const existing = await client.hget(key, 'current');
    if (existing) return existing;
    // HSETNX: two processes creating it at once agree on one secret.
    await client.hsetnx(key, 'current', generateSecret());
    return (await client.hget(key, 'current'))!;
  };
  return {
    current,
    async rotate(tenant) {
      const next = generateSecret();
      await current(tenant);
      await scripts.rotate(
        keys.webhookSecret(tenant),
        next,
        String(Date.now() + SECRET_OVERLAP_MS),
      );
      return next;
    },
    async signingKeys(tenant, now = Date.now()) {
      const [secret, previous, until] = await client.hmget(
        keys.webhookSecret(tenant),
        'current',
        'previous',
        'previous_until',
      );
      const signing = [secret ?? (await current(tenant))];
      if (previous && Number(until) > now) signing.push(previous);
      return signing;
    },
  };
}
