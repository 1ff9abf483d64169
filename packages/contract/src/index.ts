// The contract: every public schema, every record and how it is stored, every Redis key.
// Nothing here talks to Redis, S3 or the network; its only dependency is TypeBox.
export * from './control/amounts.ts';
export * from './control/control.ts';
export * from './control/deterministic.ts';
export * from './control/eta.ts';
export * from './ids.ts';
export * from './images.ts';
export * from './jobs.ts';
export * from './keys.ts';
export * from './models/shutdowns.ts';
export * from './models.ts';
export * from './records/batch.ts';
export * from './records/codec.ts';
export * from './records/heartbeat.ts';
export * from './records/job.ts';
export * from './schemas/batch.ts';
export * from './schemas/generation.ts';
export * from './schemas/job.ts';
export * from './schemas/problem.ts';
export * from './usage.ts';
export * from './views.ts';
export * from './webhook-events.ts';
