import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EnvSchema } from '@imagen-queue/shared';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No container engine runs here, so the compose file is checked by reading it.
const root = resolve(import.meta.dirname, '../..');
const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const services: Record<
  string,
  {
    build?: string;
    entrypoint?: string[];
    image?: string;
    command?: string[];
    environment?: Record<string, string>;
    ports?: string[];
    container_name?: string;
  }
> = compose.services;
const ours = Object.entries(services).filter(([, service]) => service.build);
const appEnvKeys = Object.keys(EnvSchema.properties);

describe('docker-compose.yml', () => {
  it('runs Redis with AOF and noeviction, MinIO with the bucket created, emulator, api and worker', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['redis', 'minio', 'minio-init', 'emulator', 'api', 'worker']),
    );
    expect(services.redis!.command).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    );
    expect(services['minio-init']!.entrypoint?.toString()).toContain(
      `mc mb --ignore-existing local/${services.api!.environment!.S3_BUCKET}`,
    );
  });

  it.each(ours)('%s runs a script that exists in the repo', (_name, service) => {
    expect(service.command?.[0]).toBe('node');
    expect(existsSync(resolve(root, service.command![1]!))).toBe(true);
  });

  it.each(ours)('%s sets only variables its config schema knows', (name, service) => {
    const known = name === 'emulator' ? emulatorKeys() : appEnvKeys;
    const unknown = Object.keys(service.environment ?? {}).filter((key) => !known.includes(key));
    expect(unknown).toEqual([]);
  });

  it('the worker can be scaled: no fixed container name, no host port', () => {
    expect(services.worker!.container_name).toBeUndefined();
    expect(services.worker!.ports).toBeUndefined();
  });

  it('the Dockerfile runs the sources with Node 24', () => {
    expect(readFileSync(resolve(root, 'Dockerfile'), 'utf8')).toMatch(/^FROM node:24/m);
  });
});

function emulatorKeys(): string[] {
  const source = readFileSync(resolve(root, 'packages/imagen/src/emulator/config.ts'), 'utf8');
  return [...source.matchAll(/\b(EMULATOR_[A-Z_]+)\b/g)].map((match) => match[1]!);
}
