import { QUEUES } from './jobs.ts';

/**
 * Every Redis key of ours. The tenant is the hash tag: all of one tenant's state lives in one
 * Redis Cluster slot (so our scripts may touch several keys at once), tenants spread over slots,
 * and a key can only be built from the tenant of the caller — no tenant can address another's.
 */
export function redisKeys(prefix: string) {
  const tenantTag = (tenant: string) => `${prefix}:{t:${tenant}}`;
  const bull = bullPrefix(prefix);
  const limiterState = (model?: string) =>
    model === undefined
      ? `${prefix}:{limiter}:provider`
      : `${prefix}:{limiter}:provider:m:${model}`;
  return {
    job: (tenant: string, id: string) => `${tenantTag(tenant)}:job:${id}`,
    jobEvents: (tenant: string, id: string) => `${tenantTag(tenant)}:job:${id}:events`,
    batch: (tenant: string, id: string) => `${tenantTag(tenant)}:batch:${id}`,
    /** The batch's job ids in submission order (a list). */
    batchJobs: (tenant: string, id: string) => `${tenantTag(tenant)}:batch:${id}:jobs`,
    batchEvents: (tenant: string, id: string) => `${tenantTag(tenant)}:batch:${id}:events`,
    /** The tenant's batches still being accepted (a sorted set: batch id → accepted at, ms). */
    accepting: (tenant: string) => `${tenantTag(tenant)}:accepting`,
    /** Tenants that have ever accepted a batch (a set; bounded by the configured tenants). */
    acceptingTenants: () => `${prefix}:accepting:tenants`,
    idempotency: (tenant: string, key: string) => `${tenantTag(tenant)}:idem:${key}`,
    /** The tenant's webhook signing secrets (a hash: current, previous, previous_until). */
    webhookSecret: (tenant: string) => `${tenantTag(tenant)}:webhook:secret`,
    /**
     * The tenant's outbox (a sorted set: job id → when its terminal transition was made, or when
     * the first delivery attempt its process makes itself is surely over), written by the
     * transition script itself and drained into webhook events (outbox.ts).
     */
    outbox: (tenant: string) => `${tenantTag(tenant)}:outbox`,
    /** Tenants that have ever had an outbox (a set; bounded by the configured tenants). */
    outboxTenants: () => `${prefix}:outbox:tenants`,
    webhookEvent: (tenant: string, eventId: string) => `${tenantTag(tenant)}:webhook:${eventId}`,
    /**
     * The event's delivery attempts, oldest first (a list of JSON): only events recorded before
     * attempts moved into the event's own hash have one; read, never written.
     */
    webhookAttempts: (tenant: string, eventId: string) =>
      `${tenantTag(tenant)}:webhook:${eventId}:attempts`,
    /** Event ids of a batch (a list), for its delivery log (a job's follow from its record). */
    batchWebhooks: (tenant: string, id: string) => `${tenantTag(tenant)}:batch:${id}:webhooks`,
    /** The tenant's usage of one UTC day (a hash of `<model>|calls`, `<model>|usd`, …). */
    usageDay: (tenant: string, day: string) => `${tenantTag(tenant)}:usage:${day}`,
    /** The tenant's committed spend of one UTC day, against its daily cap. */
    budgetDay: (tenant: string, day: string) => `${tenantTag(tenant)}:budget:${day}`,
    /** A model's reported cost so far, all tenants (not tenant-tagged: read on its own). */
    costAverage: (model: string) => `${prefix}:cost-average:${model}`,
    /** An exact request's fingerprint → the job whose stored images answer it (a JSON string). */
    imageCache: (tenant: string, fingerprint: string) =>
      `${tenantTag(tenant)}:image-cache:${fingerprint}`,
    /** The tenant's job or batch ids, newest first (a sorted set ordered by id; `ListIndex`). */
    listIndex: (tenant: string, kind: 'jobs' | 'batches') => `${tenantTag(tenant)}:index:${kind}`,
    /** A job's images held while storage is down (a hash; `spool.ts`), in its tenant's slot. */
    spool: (tenant: string, jobId: string) => `${tenantTag(tenant)}:spool:${jobId}`,
    /** Pub/sub: the API publishes `{ jobId }` of a running job it canceled; workers abort it. */
    cancelChannel: () => `${prefix}:cancel`,
    /**
     * `@fastify/rate-limit`'s namespace: it appends the tenant. Under the queue's hash tag, so the
     * script that reserves a submitted job's fair-share position counts its request in the same
     * call, on a Redis Cluster too.
     */
    rateLimitNamespace: () => `${bull}:ratelimit:`,
    /** Live workers' ids (a set) and each one's heartbeat (a string with its own expiry). */
    workers: () => `${prefix}:{workers}`,
    worker: (id: string) => `${prefix}:{workers}:${id}`,
    /**
     * The provider limiter's pace and rolling window for one model (`undefined`: the shared
     * pace of calls that name none) and the set of models it has seen; one `{limiter}` tag,
     * since its scripts touch them together.
     */
    limiterState,
    limiterWindow: (model?: string) => `${limiterState(model)}:window`,
    limiterModels: () => `${prefix}:{limiter}:models`,
    /** The fair-share clock, beside BullMQ's generation queue (its script reads the queue too). */
    fairShare: () => `${bull}:fair`,
    /** One of BullMQ's keys of the generation queue (`wait`, `prioritized`, …). */
    generationQueue: (name: string) => `${bull}:${QUEUES.generation}:${name}`,
    /** The name a connection shows in `CLIENT LIST`, so a leak can be traced to its process. */
    connectionName: (name: string) => `${prefix}:${name}`,
  };
}

/** BullMQ's key prefix, hash-tagged so each queue's keys stay in one Redis Cluster slot. */
export function bullPrefix(prefix: string): string {
  return `{${prefix}}`;
}
export type RedisKeys = ReturnType<typeof redisKeys>;
