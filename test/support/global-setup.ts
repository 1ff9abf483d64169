import { provideServices, type Services, s3FromEnv } from '@imagen-queue/dev-stack';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    services: Services;
  }
}

/**
 * The order the style guide asks for: `REDIS_URL`/`S3_ENDPOINT` when set; else containers when
 * an engine answers; else a `redis-server` child and an in-process s3rver on free ports.
 */
export default async function setup(project: TestProject) {
  const { services, stop } = await provideServices({
    redisUrl: process.env.REDIS_URL || undefined,
    s3: s3FromEnv(process.env),
    containers: true,
  });
  process.stdout.write(`integration services: ${services.source}\n`);
  project.provide('services', services);
  return stop;
}
