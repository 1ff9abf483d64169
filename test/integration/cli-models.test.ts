import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningProcess, serviceEnv, startApi } from '../support/processes.ts';
import { started, testPrefix } from '../support/tracking.ts';

const KEY = 'acme-cli-models-key-1';

describe('pnpm cli models, and submit checking a file against them', () => {
  let api: RunningProcess & { url: string };
  let work: string;

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [resolve(ROOT, 'packages/cli/src/main.ts'), ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', IMAGEN_QUEUE_URL: api.url, IMAGEN_QUEUE_KEY: KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.children.add({ name: `cli ${args[0]}`, child });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    return new Promise((done, reject) => {
      child.on('error', reject);
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cli-models-'));
    api = await startApi(serviceEnv(testPrefix(), { API_KEYS: `acme:${KEY}` }));
  });
  afterAll(async () => {
    await api?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('lists every model with its parameters, sizes and lifetime', async () => {
    const { code, stdout } = await cli(['models']);
    expect(code).toBe(0);
    expect(stdout).toContain('google/nano-banana-2 (also google/gemini-3-1-flash-image-preview)');
    expect(stdout).toMatch(/parameters: prompt, aspect_ratio, image_size, resolution, image_urls/);
    expect(stdout).toContain('successor google/imagen-4.0-generate-001');
    const json = JSON.parse((await cli(['models', '--json'])).stdout);
    expect(json.data).toHaveLength(7);
  });

  it('refuses a file with a field its model does not take, naming line and field, sending nothing', async () => {
    const file = join(work, 'bad.ndjson');
    await writeFile(
      file,
      [
        JSON.stringify({ prompt: 'fine', seed: 3 }),
        JSON.stringify({ model: 'google/nano-banana-2', prompt: 'no seeds here', seed: 3 }),
      ].join('\n'),
    );
    const { code, stderr } = await cli(['submit', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('line 2: /seed is not a parameter of google/nano-banana-2');
    expect(stderr).toContain('nothing was sent');
  });

  it('submits a file whose every line fits its model', async () => {
    const file = join(work, 'good.ndjson');
    await writeFile(
      file,
      [
        JSON.stringify({
          model: 'google/gemini-2.5-flash-image',
          prompt: 'a',
          aspect_ratio: '3:2',
        }),
        JSON.stringify({ model: 'google/nano-banana-pro', prompt: 'b', resolution: '2K' }),
      ].join('\n'),
    );
    const { code, stdout, stderr } = await cli(['submit', file]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Submitted batch bat_\w+ with 2 jobs/);
  });
});
