import type { TestProject } from 'vitest/node';
import { provideServices, type TestServices } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

export default async function setup(project: TestProject) {
  const { services, stop } = await provideServices();
  process.stdout.write(`integration services: ${services.source}\n`);
  project.provide('services', services);
  return stop;
}
