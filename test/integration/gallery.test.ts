import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctColours, screenshotGallery } from '../../packages/cli/test/gallery-screenshot.ts';
import {
  ROOT,
  type RunningProcess,
  serviceEnv,
  startApi,
  startEmulator,
  startWorker,
} from '../support/processes.ts';
import { started, testPrefix } from '../support/tracking.ts';

const KEY = 'acme-gallery-key-1';

const PROMPTS: { prompt: string; aspect_ratio: string }[] = [
  { prompt: 'A red fox in fresh snow', aspect_ratio: '1:1' },
  { prompt: 'Lighthouse on a cliff at dawn', aspect_ratio: '16:9' },
  { prompt: 'Portrait of an old fisherman', aspect_ratio: '3:4' },
  { prompt: 'Neon city street in the rain', aspect_ratio: '9:16' },
  { prompt: 'Bowl of ramen, overhead shot', aspect_ratio: '4:3' },
  { prompt: 'Hot air balloons over a valley', aspect_ratio: '1:1' },
  { prompt: 'Watercolor of a koi pond', aspect_ratio: '1:1' },
  { prompt: 'Snowy mountain cabin at night', aspect_ratio: '16:9' },
  { prompt: 'Macro shot of a dewy leaf', aspect_ratio: '1:1' },
  { prompt: 'Retro robot reading a book', aspect_ratio: '3:4' },
  { prompt: 'Desert dunes under the milky way', aspect_ratio: '9:16' },
  { prompt: 'Sailboat on a calm lake', aspect_ratio: '4:3' },
];

describe('the gallery of a 12-image batch, in headless Chromium', () => {
  const prefix = testPrefix();
  let emulator: RunningProcess & { url: string };
  let api: RunningProcess & { url: string };
  let worker: RunningProcess;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'gallery-it-'));
    emulator = await startEmulator();
    const env = serviceEnv(prefix, {
      API_KEYS: `acme:${KEY}`,
      IMAGEN_BASE_URL: emulator.url,
      IMAGEN_API_KEY: 'emulator-key',
    });
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
  });

  afterAll(async () => {
    await Promise.all([worker?.stop(), api?.stop(), emulator?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('pnpm cli submit --out renders a non-blank offline gallery, screenshotted in Chromium', async () => {
    const input = join(work, 'prompts.ndjson');
    await writeFile(
      input,
      PROMPTS.map((params, seed) => JSON.stringify({ ...params, seed: 1000 + seed })).join('\n'),
    );
    const out = join(work, 'out');
    const child = spawn(
      process.execPath,
      [resolve(ROOT, 'packages/cli/src/main.ts'), 'submit', input, '--out', out],
      {
        cwd: work,
        env: { PATH: process.env.PATH ?? '', IMAGEN_QUEUE_URL: api.url, IMAGEN_QUEUE_KEY: KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    started.children.add({ name: 'cli submit', child });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code, output).toBe(0);
    expect(output).toMatch(/Batch bat_\S+ completed: 12\/12 succeeded\./);
    expect(output).toContain('Downloaded 12 images');

    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html.match(/<img /g)).toHaveLength(12);
    expect(html).toContain('src="3-neon-city-street-in-the-rain.png"');

    // test-results/ by default; UPDATE_DOCS=1 refreshes the README's picture instead.
    const target = process.env.UPDATE_DOCS
      ? resolve(ROOT, 'docs/gallery.png')
      : resolve(ROOT, 'test-results/gallery.png');
    await mkdir(resolve(target, '..'), { recursive: true });
    const shot = await screenshotGallery(join(out, 'index.html'), target);
    expect(shot.offDiskRequests).toEqual([]);
    expect(shot.brokenImages).toBe(0);
    // A blank or unstyled page has a few dozen colours; twelve rendered images have thousands.
    expect(distinctColours(shot.png)).toBeGreaterThan(5_000);
    expect(await readFile(target)).toEqual(shot.png);
  });
});
