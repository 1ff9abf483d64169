// The stores: every read and write of the system's state in Redis, with their Lua scripts
// (`lua/`, each loaded by the store that runs it). The apps reach state only through here.
export * from './batch-accept.ts';
export * from './batch-store.ts';
export * from './budget-store.ts';
export * from './cancels.ts';
export * from './coalesce.ts';
export * from './fair-share.ts';
export * from './idempotency-store.ts';
export * from './image-cache-store.ts';
export * from './job-store.ts';
export * from './list-index.ts';
export * from './provider-limiter.ts';
export * from './queue-pipeline.ts';
export * from './redis.ts';
export * from './redis-ready.ts';
export * from './spool.ts';
export * from './streams.ts';
export * from './usage-store.ts';
export * from './webhooks/dispatcher.ts';
export * from './webhooks/event-store.ts';
export * from './webhooks/outbox.ts';
export * from './webhooks/secrets.ts';
export * from './worker-heartbeats.ts';
