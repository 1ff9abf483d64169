import type { RedisKeys } from '@imagen-queue/contract';
import type { Redis } from 'ioredis';

// Re-announced now and then, so a Redis that lost the set (restarted without persistence)
// learns it again; between times a transition costs no extra round trip.
const REANNOUNCE_MS = 60_000;

/**
 * The outbox lives in each tenant's slot (the transition script writes it atomically); the
 * deliverer finds the outboxes through one global set of tenants. A tenant is added before its
 * first terminal transition, so no outbox entry exists whose tenant the deliverer does not know.
 */
export function createOutboxTenants(client: Redis, keys: RedisKeys) {
  const announced = new Map<string, number>();
  return {
    async ensure(tenant: string): Promise<void> {
      const at = announced.get(tenant);
      if (at !== undefined && Date.now() - at < REANNOUNCE_MS) return;
      await client.sadd(keys.outboxTenants(), tenant);
      announced.set(tenant, Date.now());
    },
  };
}
