import { createHash } from 'node:crypto';
import type { Job } from '@imagen-queue/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningProcess,
  serviceEnv,
  startApi,
  startEmulator,
  startWorker,
} from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';

const KEY = 'acme-test-key-1';
const OTHER_KEY = 'globex-test-key-1';

describe('one job end to end, through separately spawned API and worker processes', () => {
  const prefix = testPrefix();
  let emulator: RunningProcess & { url: string };
  let api: RunningProcess & { url: string };
  let worker: RunningProcess;

  beforeAll(async () => {
    emulator = await startEmulator({ EMULATOR_LATENCY_MS: '50' });
    const env = serviceEnv(prefix, {
      API_KEYS: `acme:${KEY},globex:${OTHER_KEY}`,
      IMAGEN_BASE_URL: emulator.url,
      IMAGEN_API_KEY: 'emulator-key',
    });
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
  });

  afterAll(async () => {
    const exits = await Promise.all([worker?.stop(), api?.stop(), emulator?.stop()]);
    expect(exits.slice(0, 2).map((exit) => exit?.code)).toEqual([0, 0]);
  });

  it('POST /v1/jobs → worker → emulator → S3 → GET shows succeeded with a working presigned URL', async () => {
    const submitted = await fetch(`${api.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a lighthouse at dawn', seed: 42, aspect_ratio: '16:9' }),
    });
    expect(submitted.status).toBe(202);
    const job = (await submitted.json()) as Job;
    expect(job).toMatchObject({ status: 'queued', batch_id: null, result: null, error: null });
    expect(job.id).toMatch(/^job_/);

    let current = job;
    const deadline = Date.now() + 30_000;
    while (!['succeeded', 'failed', 'canceled'].includes(current.status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const polled = await fetch(`${api.url}/v1/jobs/${job.id}`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect(polled.status).toBe(200);
      current = (await polled.json()) as Job;
    }
    expect(current.status, JSON.stringify(current.error)).toBe('succeeded');
    expect(current.attempts).toBe(1);
    expect(current.started_at).not.toBeNull();
    expect(current.finished_at).not.toBeNull();

    const [image] = current.result!.images;
    if (!image) throw new Error('no image');
    expect(image.key).toBe(`acme/single/${job.id}/0.png`);
    expect(image).toMatchObject({ mime_type: 'image/png', width: 1408, height: 768 });

    const download = await fetch(image.url);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(bytes.length).toBe(image.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(image.sha256);
  });

  it('another tenant cannot see the job: 404, not 403', async () => {
    const submitted = await fetch(`${api.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'private' }),
    });
    const { id } = (await submitted.json()) as Job;
    const peek = await fetch(`${api.url}/v1/jobs/${id}`, {
      headers: { authorization: `Bearer ${OTHER_KEY}` },
    });
    expect(peek.status).toBe(404);
    expect(peek.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('a request without a valid key is 401 problem+json', async () => {
    const response = await fetch(`${api.url}/v1/jobs/job_x`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
  });
});
