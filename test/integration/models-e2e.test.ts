import { createHash } from 'node:crypto';
import type { Job } from '@imagen-queue/contract';
import { type BilledCall, clientRequestId } from '@imagen-queue/imagen';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countObjects, startStack, TEST_KEY } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

type Stack = Awaited<ReturnType<typeof startStack>>;

/** The size a stored PNG really has, read from its IHDR through its presigned URL. */
async function pngSize(url: string) {
  const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The API answers once it has Redis and S3: wait for that signal before the first submit. */
async function waitReady(stack: Stack): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await fetch(`${stack.api.url}/readyz`).catch(() => null))?.status !== 200) {
    if (Date.now() > deadline) throw new Error('the API never became ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitForJob(stack: Stack, id: string): Promise<Job> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await stack.job(id);
    if (['succeeded', 'failed', 'canceled'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} not done: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Four models, each with its own parameters, and the size each must come back at. */
function mixedLines(reference: { job: string; index: number }) {
  return [
    { line: { prompt: 'imagen 3', seed: 1, aspect_ratio: '16:9' }, size: [1408, 768] },
    {
      line: {
        model: 'google/imagen-4.0-fast-generate-001',
        prompt: 'imagen 4',
        aspect_ratio: '9:16',
      },
      size: [768, 1408],
    },
    {
      line: {
        model: 'google/nano-banana-2',
        prompt: 'edit the reference',
        aspect_ratio: '4:3',
        resolution: '2K',
        image_urls: [reference],
      },
      size: [2368, 1728],
    },
    {
      line: { model: 'google/gemini-2.5-flash-image', prompt: 'gemini', aspect_ratio: '21:9' },
      size: [1536, 672],
    },
  ] as const;
}

/** The emulator's record of the provider calls a job made (by its `X-Client-Request-Id`). */
async function callsOf(stack: Stack, jobId: string): Promise<BilledCall[]> {
  const answer = await fetch(`${stack.emulator.url}/__emulator/calls`);
  const { data } = (await answer.json()) as { data: BilledCall[] };
  const stem = clientRequestId(jobId, 0).replace(/0$/, ''); // `{job id, made header-safe}.`
  return data.filter((call) => call.request_id?.startsWith(stem) && call.status < 300);
}

async function runMixedBatch(stack: Stack, reference: { job: string; index: number }) {
  const kinds = mixedLines(reference);
  const lines = Array.from({ length: 100 }, (_, i) => ({
    ...kinds[i % 4]!.line,
    prompt: `${kinds[i % 4]!.line.prompt} #${i}`,
  }));
  const batchId = await stack.submitBatch(lines);
  const batch = await stack.waitForBatch(batchId);
  const jobs = await stack.batchJobs(batchId);
  return { kinds, batch, jobs };
}

describe('the models of today through API → worker → emulator → S3 (AI/ML API)', () => {
  const prefix = testPrefix();
  let stack: Stack;
  let reference: { job: string; index: number };

  beforeAll(async () => {
    stack = await startStack({ prefix, workers: 1, env: { WORKER_CONCURRENCY: '8' } });
    await waitReady(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('one job: Imagen 3 at its 16:9 size, stored in S3', async () => {
    const job = await waitForJob(stack, (await stack.submitJob({ prompt: 'a reference' })).id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const [image] = job.result!.images;
    expect(image).toMatchObject({ width: 1024, height: 1024 });
    expect(await pngSize(image!.url)).toEqual({ width: 1024, height: 1024 });
    reference = { job: job.id, index: 0 };
  });

  it('a 100-job batch mixing four models, each at its own sizes, one with a reference image', async () => {
    const { kinds, batch, jobs } = await runMixedBatch(stack, reference);
    expect(batch.counts).toMatchObject({ total: 100, succeeded: 100, failed: 0 });
    expect(jobs).toHaveLength(100);
    for (const job of jobs) {
      const kind = kinds.find((candidate) =>
        job.request.prompt.startsWith(`${candidate.line.prompt} #`),
      )!;
      const [width, height] = kind.size;
      expect(job.result!.images[0], job.request.model).toMatchObject({ width, height });
    }
    for (const kind of kinds) {
      const job = jobs.find((candidate) => candidate.request.prompt.startsWith(kind.line.prompt))!;
      const [width, height] = kind.size;
      expect(await pngSize(job.result!.images[0]!.url)).toEqual({ width, height });
    }
    // The reference stays as submitted in the job; the presigned URL is made per call.
    const edit = jobs.find((job) => job.request.model === 'google/nano-banana-2')!;
    expect(edit.request.image_urls).toEqual([reference]);
    // The provider got it as a presigned URL of the referenced job's stored image, which
    // reads back as those very bytes.
    const source = await stack.job(reference.job);
    const [call] = await callsOf(stack, edit.id);
    expect(call?.image_urls, JSON.stringify(call)).toHaveLength(1);
    const sent = call!.image_urls![0]!;
    expect(sent).toContain(`/acme/single/${reference.job}/0.png?`);
    expect(sent).toContain('X-Amz-Signature=');
    const bytes = Buffer.from(await (await fetch(sent)).arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(source.result!.images[0]!.sha256);
    expect(await countObjects(stack.env, `acme/${batch.id}/`)).toBe(100);
  });

  it('a model the provider reports retired fails with model_unavailable after one call', async () => {
    const before = (await stack.emulatorStats()).requests!;
    const submitted = await stack.submitJob({ prompt: 'gone [retired]' });
    const job = await waitForJob(stack, submitted.id);
    expect(job).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'model_unavailable', retryable: false },
    });
    expect(job.error!.message).toContain('use google/imagen-4.0-generate-001');
    expect((await stack.emulatorStats()).requests).toBe(before + 1);
  });

  it('the official openai SDK: n: 2, size, response_format b64_json decoded as PNG', async () => {
    const client = new OpenAI({ baseURL: `${stack.api.url}/v1`, apiKey: TEST_KEY });
    const answer = await client.images.generate({
      prompt: 'an openai client',
      n: 2,
      size: '1792x1024',
      response_format: 'b64_json',
    });
    expect(answer.created).toBeGreaterThan(0);
    expect(answer.data).toHaveLength(2);
    for (const image of answer.data ?? []) {
      const png = Buffer.from(image.b64_json!, 'base64');
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      // 1792x1024 is nearest to 16:9, which Imagen 3 renders at 1408×768.
      expect({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }).toEqual({
        width: 1408,
        height: 768,
      });
      expect(image.revised_prompt).toContain('an openai client');
    }
    const urls = await client.images.generate({
      model: 'google/nano-banana-2',
      prompt: 'as urls',
      response_format: 'url',
    });
    expect(await pngSize(urls.data![0]!.url!)).toEqual({ width: 1024, height: 1024 });
  });
});

describe('IMAGEN_PROVIDER=google: Gemini generateContent at the emulator', () => {
  const prefix = testPrefix();
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      prefix,
      workers: 1,
      env: { IMAGEN_PROVIDER: 'google', WORKER_CONCURRENCY: '8' },
    });
    await waitReady(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the mixed batch: Gemini models succeed at their sizes, Imagen fails at once as retired there', async () => {
    const first = await stack.submitJob({ model: 'google/nano-banana-pro', prompt: 'reference' });
    const done = await waitForJob(stack, first.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const before = (await stack.emulatorStats()).requests!;
    const { kinds, batch, jobs } = await runMixedBatch(stack, { job: first.id, index: 0 });
    expect(batch.counts).toMatchObject({ total: 100, succeeded: 50, failed: 50 });
    for (const job of jobs) {
      if (job.request.model.includes('imagen')) {
        expect(job).toMatchObject({ status: 'failed', attempts: 1 });
        expect(job.error!.code).toBe('model_unavailable');
        continue;
      }
      const kind = kinds.find(
        (candidate) => candidate.line.prompt === job.request.prompt.split(' #')[0],
      )!;
      const [width, height] = kind.size;
      expect(job.result!.images[0], job.request.model).toMatchObject({ width, height });
    }
    // Only the Gemini jobs called the provider: Google serves no Imagen model now.
    expect((await stack.emulatorStats()).requests).toBe(before + 50);
    // Each edit sent the referenced image inline: the very bytes stored for it.
    const stored = done.result!.images[0]!;
    const edits = jobs.filter((job) => job.request.model === 'google/nano-banana-2');
    expect(edits).toHaveLength(25);
    for (const edit of edits) {
      const [call] = await callsOf(stack, edit.id);
      expect(call?.inline_data, JSON.stringify(call)).toEqual([
        { mime_type: 'image/png', bytes: expect.any(Number), sha256: stored.sha256 },
      ]);
    }
  });

  it('a safety block is content_filtered, not retried', async () => {
    const submitted = await stack.submitJob({
      model: 'google/gemini-2.5-flash-image',
      prompt: 'a [blocked] scene',
    });
    const job = await waitForJob(stack, submitted.id);
    expect(job).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'content_filtered' },
    });
  });
});
