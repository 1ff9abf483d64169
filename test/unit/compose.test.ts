import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
    build?: { context: string; target: string };
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
const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
const workspaceDirs = ['apps', 'packages'].flatMap((group) =>
  readdirSync(resolve(root, group)).map((name) => `${group}/${name}`),
);
const readJson = (dir: string) =>
  JSON.parse(readFileSync(resolve(root, dir, 'package.json'), 'utf8')) as { name: string };

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

  it.each(ours)(
    '%s runs a script of the package its Dockerfile stage deploys',
    (_name, service) => {
      const target = service.build!.target;
      const stage = dockerfile
        .split(/^(?=FROM )/m)
        .find((text) => text.startsWith('FROM ') && text.split('\n')[0]!.endsWith(` AS ${target}`));
      expect(stage, `a Dockerfile stage named ${target}`).toBeDefined();
      const out = stage!.match(/COPY --from=workspace \S+ (\/out\/\S+) \./)?.[1];
      const filter = dockerfile
        .match(/--filter (\S+) deploy --prod (\S+)/g)
        ?.find((line) => line.endsWith(` ${out}`));
      const packageDir = workspaceDirs.find((dir) => filter?.includes(` ${readJson(dir).name} `));
      expect(packageDir, `the package deployed to ${out}`).toBeDefined();
      const [node, ...args] = service.command!;
      expect(node).toBe('node');
      // Our packages are under node_modules in a deployed directory: the preload strips them.
      expect(args.slice(0, 2)).toEqual(['--import', '@imagen-queue/shared/register-types']);
      expect(existsSync(resolve(root, packageDir!, args[2]!))).toBe(true);
    },
  );

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
    expect(dockerfile).toMatch(/^FROM node:24/m);
  });
});

function emulatorKeys(): string[] {
  const source = readFileSync(resolve(root, 'packages/imagen/src/emulator/config.ts'), 'utf8');
  return [...source.matchAll(/\b(EMULATOR_[A-Z_]+)\b/g)].map((match) => match[1]!);
}
