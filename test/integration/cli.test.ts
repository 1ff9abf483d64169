import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Job } from '@imagen-queue/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  type RunningProcess,
  serviceEnv,
  startApi,
  startEmulator,
  startWorker,
} from '../support/processes.ts';
import { started, testPrefix } from '../support/tracking.ts';

const KEY = 'acme-cli-key-1';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('pnpm cli against a spawned emulator, API and worker', () => {
  const prefix = testPrefix();
  let emulator: RunningProcess & { url: string };
  let api: RunningProcess & { url: string };
  let worker: RunningProcess;
  let work: string;

  /** Runs the CLI as a user would: its own process, configured by the environment. */
  function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    const child = spawn(process.execPath, [resolve(ROOT, 'packages/cli/src/main.ts'), ...args], {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? '',
        IMAGEN_QUEUE_URL: api.url,
        IMAGEN_QUEUE_KEY: KEY,
        ...env,
      },
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
    return new Promise((resolvePromise, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    });
  }

  const json = <T>(run: CliRun): T => {
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as T;
  };

  async function setEmulator(config: Record<string, unknown>) {
    const response = await fetch(`${emulator.url}/__emulator/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(config),
    });
    expect(response.ok).toBe(true);
  }

  async function writeInput(name: string, lines: (string | Record<string, unknown>)[]) {
    const path = join(work, name);
    await writeFile(
      path,
      lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n'),
    );
    return path;
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cli-it-'));
    emulator = await startEmulator({ EMULATOR_LATENCY_MS: '20' });
    const env = serviceEnv(prefix, {
      API_KEYS: `acme:${KEY}`,
      IMAGEN_BASE_URL: emulator.url,
      IMAGEN_API_KEY: 'emulator-key',
    });
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
  });

  afterAll(async () => {
    const exits = await Promise.all([worker?.stop(), api?.stop(), emulator?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
    expect(exits.slice(0, 2).map((exit) => exit?.code)).toEqual([0, 0]);
  });

  let batchId = '';
  let firstOut = '';

  it('submit NDJSON --out --json waits, downloads {index}-{slug}.png and writes the gallery', async () => {
    const file = await writeInput('params.ndjson', [
      { prompt: 'A red fox at dusk', seed: 7, aspect_ratio: '16:9' },
      { prompt: 'a blue whale', num_images: 2, seed: 8 },
      { prompt: 'Crème brûlée, overhead shot', seed: 9, enhance_prompt: false },
    ]);
    firstOut = join(work, 'first');
    const result = json<{
      batch: { id: string; status: string; counts: Record<string, number> };
      download: {
        out: string;
        gallery: string;
        files: { file: string; job_id: string; status: string }[];
      };
    }>(await cli(['submit', file, '--out', firstOut, '--json']));
    batchId = result.batch.id;
    expect(batchId).toMatch(/^bat_/);
    expect(result.batch).toMatchObject({
      status: 'completed',
      counts: { total: 3, queued: 0, running: 0, succeeded: 3, failed: 0, canceled: 0 },
    });
    expect(result.download.files.map(({ file, status }) => [file, status])).toEqual([
      ['0-a-red-fox-at-dusk.png', 'downloaded'],
      ['1-a-blue-whale-0.png', 'downloaded'],
      ['1-a-blue-whale-1.png', 'downloaded'],
      ['2-creme-brulee-overhead-shot.png', 'downloaded'],
    ]);
    expect((await readdir(firstOut)).sort()).toEqual([
      '0-a-red-fox-at-dusk.png',
      '1-a-blue-whale-0.png',
      '1-a-blue-whale-1.png',
      '2-creme-brulee-overhead-shot.png',
      'index.html',
      'results.jsonl',
    ]);
    const results = (await readFile(join(firstOut, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { index: number; status: string; images: unknown[] });
    expect(results.map((line) => [line.index, line.status, line.images.length])).toEqual([
      [0, 'succeeded', 1],
      [1, 'succeeded', 2],
      [2, 'succeeded', 1],
    ]);
    const fox = await readFile(join(firstOut, '0-a-red-fox-at-dusk.png'));
    expect(fox.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(fox.readUInt32BE(16)).toBe(1408); // IHDR width: 16:9 was honoured

    const gallery = await readFile(join(firstOut, 'index.html'), 'utf8');
    for (const file of result.download.files) expect(gallery).toContain(`src="${file.file}"`);
    expect(gallery).toContain('Crème brûlée, overhead shot');
    expect(gallery).toContain('<dt>seed</dt><dd>7</dd>');
    expect(gallery).not.toMatch(/(src|href)="(https?:|\/)/);
  });

  it('status --json answers the batch and each job as the API does', async () => {
    const batch = json<{ id: string; status: string }>(await cli(['status', batchId, '--json']));
    expect(batch).toMatchObject({ id: batchId, status: 'completed' });

    const listing = (await (
      await fetch(`${api.url}/v1/batches/${batchId}/jobs`, {
        headers: { authorization: `Bearer ${KEY}` },
      })
    ).json()) as { data: Job[] };
    const jobId = listing.data[0]!.id;
    const job = json<Job>(await cli(['status', jobId, '--json']));
    expect(job).toMatchObject({ id: jobId, batch_id: batchId, status: 'succeeded' });
    expect(job.request.prompt).toBe('A red fox at dusk');
    expect(job.result?.images).toHaveLength(1);

    const human = await cli(['status', jobId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${jobId}  succeeded`);
    expect(human.stdout).toContain('A red fox at dusk');
  });

  it('download is resumable: files already there are skipped, missing ones fetched', async () => {
    const out = join(work, 'resume');
    const first = json<{ files: { file: string; status: string }[] }>(
      await cli(['download', batchId, '--out', out, '--json']),
    );
    expect(first.files.map((file) => file.status)).toEqual([
      'downloaded',
      'downloaded',
      'downloaded',
      'downloaded',
    ]);

    await rm(join(out, '1-a-blue-whale-1.png'));
    await rm(join(out, 'index.html'));
    const second = json<{ files: { file: string; status: string }[] }>(
      await cli(['download', batchId, '--out', out, '--json']),
    );
    expect(second.files.map(({ file, status }) => [file, status])).toEqual([
      ['0-a-red-fox-at-dusk.png', 'skipped'],
      ['1-a-blue-whale-0.png', 'skipped'],
      ['1-a-blue-whale-1.png', 'downloaded'],
      ['2-creme-brulee-overhead-shot.png', 'skipped'],
    ]);
    expect(await readdir(out)).toContain('index.html');
    const whale = await readFile(join(out, '1-a-blue-whale-1.png'));
    const original = await readFile(join(firstOut, '1-a-blue-whale-1.png'));
    expect(createHash('sha256').update(whale).digest('hex')).toBe(
      createHash('sha256').update(original).digest('hex'),
    );

    const human = await cli(['download', batchId, '--out', out]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Downloaded 0 images to ${out} (4 already there).`);
  });

  it('submit of a plain-lines file without --wait prints the batch id and exits at once', async () => {
    const file = await writeInput('prompts.txt', ['a lighthouse', '', 'a windmill']);
    const run = await cli(['submit', file]);
    expect(run.code, run.stderr).toBe(0);
    const id = /Submitted batch (bat_\S+) with 2 jobs\./.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    expect(run.stdout).toContain(`pnpm cli status ${id}`);
  });

  it('a failed job makes submit --wait exit 1 and says why', async () => {
    const file = await writeInput('blocked.txt', ['a calm lake', 'a forbidden thing [blocked]']);
    const run = await cli(['submit', file, '--wait']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Batch bat_\S+ completed: 1\/2 succeeded\./);
    expect(run.stdout).toMatch(/1 failed:\n {2}job_\S+ "a forbidden thing \[blocked\]": /);
    // Progress is reported on stderr as plain lines when it is not a terminal.
    expect(run.stderr).toMatch(
      /2\/2 jobs \| queued 0 · running 0 · succeeded 1 · failed 1 · canceled 0 \| /,
    );
  });

  it('a line its model refuses fails before sending: line and field named, exit 2', async () => {
    const file = await writeInput('bad-local.ndjson', [
      { prompt: 'fine' },
      { prompt: 'wide', aspect_ratio: '2:1' },
    ]);
    const run = await cli(['submit', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/line 2: \/aspect_ratio /);
  });

  it('a bad line is the API 400: its detail and field paths are shown, exit 1, nothing queued', async () => {
    // n and num_images disagreeing passes each model's schema; only the API's rules catch it.
    const file = await writeInput('bad.ndjson', [
      { prompt: 'fine' },
      { prompt: 'two ways', n: 3, num_images: 2 },
    ]);
    const run = await cli(['submit', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: .*\(HTTP 400\)\n/);
    expect(run.stderr).toMatch(/ {2}\S*1\S*\/n\S*: /);

    const asJson = await cli(['submit', file, '--json']);
    expect(asJson.code).toBe(1);
    const { error } = JSON.parse(asJson.stderr) as {
      error: { problem: { status: number; errors: { path: string; message: string }[] } };
    };
    expect(error.problem.status).toBe(400);
    expect(error.problem.errors.some((entry) => entry.path === '/jobs/1/n')).toBe(true);
  });

  it('cancel stops a batch; canceling a finished job is a clear 409', async () => {
    await setEmulator({ latencyMs: 3000 });
    let batch: { id: string; status: string; counts: Record<string, number> };
    try {
      const file = await writeInput('slow.txt', ['slow 1', 'slow 2', 'slow 3', 'slow 4']);
      ({ batch } = json<{ batch: typeof batch }>(await cli(['submit', file, '--json'])));
      const canceled = await cli(['cancel', batch.id]);
      expect(canceled.code, canceled.stderr).toBe(0);
      expect(canceled.stdout).toContain(
        `Cancel requested for every unfinished job of ${batch.id}.`,
      );
      for (let i = 0; i < 100 && batch.status !== 'canceled'; i++) {
        await new Promise((resolvePromise) => setTimeout(resolvePromise, 200));
        // status exits 1 once jobs are canceled, so read its JSON whatever the code.
        batch = JSON.parse((await cli(['status', batch.id, '--json'])).stdout);
      }
    } finally {
      await setEmulator({ latencyMs: 20 });
    }
    expect(batch.status).toBe('canceled');
    expect(batch.counts.canceled).toBe(4);
    const status = await cli(['status', batch.id]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('4 canceled.');

    const listing = (await (
      await fetch(`${api.url}/v1/batches/${batchId}/jobs`, {
        headers: { authorization: `Bearer ${KEY}` },
      })
    ).json()) as { data: Job[] };
    const finished = listing.data[0]!.id;
    const run = await cli(['cancel', finished]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*\(HTTP 409\)/);
  });

  it('unknown ids, a wrong key and bad usage fail with the right exit code and message', async () => {
    const missing = await cli(['status', `bat_${'0'.repeat(26)}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\(HTTP 404\)/);

    const unauthorized = await cli(['status', batchId], { IMAGEN_QUEUE_KEY: 'wrong' });
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toMatch(/\(HTTP 401\)\n {2}check IMAGEN_QUEUE_KEY/);

    const usage = await cli(['download', batchId]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('error: download needs --out DIR');

    const noFile = await cli(['submit', 'nope.txt']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('error: no such file: nope.txt');
  });
});
