import { readFileSync } from 'node:fs';
import { createJobStore, createRedis } from '@imagen-queue/store';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { report, startStack, TEST_KEY } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const KEY = TEST_KEY;
const OTHER = 'globex-results-key-1';
const JOBS = 10_000;
/** Long prompts make the file large (~16 MB), so a route that held it whole would show. */
const PROMPT = 'p'.repeat(1200);
const prefix = testPrefix();
let stack: Awaited<ReturnType<typeof startStack>>;
const redis = createRedis(
  { url: inject('services').redisUrl, clusterNodes: null, prefix },
  { name: 'results-test', role: 'worker' },
);
const jobs = createJobStore(redis, { prefix, retentionSeconds: 600 });

beforeAll(async () => {
  // The API in a process of its own, so its memory is measured apart from this test's; one
  // worker runs the first jobs of the batch for real, then stops.
  stack = await startStack({
    prefix,
    emulatorEnv: { EMULATOR_LATENCY_MS: '20', EMULATOR_SMALL_IMAGES: 'true' },
    env: {
      API_KEYS: `acme:${KEY},globex:${OTHER}`,
      WORKER_CONCURRENCY: '4',
      PROVIDER_INITIAL_RATE_PER_MIN: '1200',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await redis.quit();
});

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

interface Line {
  id: string;
  index: number;
  status: string;
  request: { prompt: string } | null;
  images: { key: string; url: string; sha256: string; width: number; height: number }[];
  usage: { provider_calls: number } | null;
}

/**
 * Reads the NDJSON answer line by line, sampling the API's resident memory as it goes; with
 * `afterFirstChunk`, runs it once the first bytes arrived, reading nothing more meanwhile.
 */
async function readLines(path: string, key = KEY, afterFirstChunk?: () => Promise<void>) {
  const pid = stack.api.child.pid!;
  // Sampled before the request: a route that built the whole file first would do it before its
  // first byte, so a sample taken at the headers would already include it.
  const rss = [rssOf(pid)];
  const response = await fetch(`${stack.api.url}${path}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  if (response.status !== 200) return { status: response.status, seen: [], rss: [], bytes: 0 };
  expect(response.headers.get('content-type')).toContain('application/x-ndjson');
  expect(response.headers.get('content-length')).toBeNull();
  const decoder = new TextDecoder();
  const seen: Line[] = [];
  let pending = '';
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (bytes === 0) await afterFirstChunk?.();
    bytes += chunk.length;
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const { id, index, status, request, images, usage } = JSON.parse(line) as Line;
      seen.push({ id, index, status, request: request && { prompt: '…' }, images, usage });
    }
    rss.push(rssOf(pid));
  }
  expect(pending).toBe('');
  return { status: 200, seen, rss, bytes };
}

describe('GET /v1/batches/{id}/results', () => {
  it('streams all 10,000 jobs in submission order, page by page as read; ?status= filters', async () => {
    const submitted = await fetch(`${stack.api.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        // A model that takes long prompts (Imagen's stop at 400 characters).
        defaults: { model: 'google/nano-banana-2' },
        jobs: Array.from({ length: JOBS }, (_, i) => ({ prompt: `${PROMPT} ${i}` })),
      }),
    });
    const answer = (await submitted.json()) as { id: string };
    expect(submitted.status, JSON.stringify(answer)).toBe(202);
    const batchId = answer.id;
    // The first jobs run for real (images stored, usage recorded); then the worker stops, so the
    // rest stay queued and the file is read from records that no longer change.
    await waitUntil(
      async () => (await stack.batch(batchId)).counts.succeeded >= 20,
      60_000,
      '20 jobs of the batch to succeed',
    );
    await stack.workers[0]!.stop();
    const ran = (await stack.batch(batchId)).counts.succeeded;

    const ids = await redis.lrange(jobs.keys.batchJobs('acme', batchId), 0, -1);
    const failing = ids.filter((_, i) => i % 997 === 996);
    for (const id of failing) {
      const moved = await jobs.transition('acme', id, {
        from: ['queued'],
        to: 'failed',
        error: { code: 'invalid_request', message: 'made to fail', retryable: false },
      });
      expect(moved.applied).toBe(true);
    }
    // A record gone as after JOB_RETENTION_DAYS: its line is still written.
    const expired = ids[5_000]!;
    expect(await redis.del(jobs.keys.job('acme', expired))).toBe(1);

    // Streamed, not built first: the route reads the records page by page as the client reads
    // the answer. The last job's record is deleted once the first bytes have arrived (the
    // client reads nothing meanwhile; the socket's buffers hold a few MB of the ~15 MB): a
    // route that read the whole batch before answering would still show the job as queued.
    const last = ids[JOBS - 1]!;
    const all = await readLines(`/v1/batches/${batchId}/results`, KEY, async () => {
      expect(await redis.del(jobs.keys.job('acme', last))).toBe(1);
    });
    expect(all.seen).toHaveLength(JOBS);
    expect(all.seen[JOBS - 1]).toMatchObject({ id: last, status: 'expired' });
    expect(all.seen.map((line) => line.index)).toEqual(ids.map((_, i) => i));
    expect(all.seen.map((line) => line.id)).toEqual(ids);
    expect(all.seen[5_000]).toMatchObject({
      id: expired,
      status: 'expired',
      request: null,
      images: [],
      usage: null,
    });
    const succeeded = all.seen.filter((line) => line.status === 'succeeded');
    expect(succeeded).toHaveLength(ran);
    for (const line of succeeded) {
      expect(line.usage?.provider_calls).toBe(1);
      expect(line.images.length).toBeGreaterThan(0);
      for (const image of line.images) {
        expect(image.key).toContain(line.id);
        expect(image.url).toMatch(/^https?:\/\/.*X-Amz-Signature=/);
        expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(image.width).toBeGreaterThan(0);
        expect(image.height).toBeGreaterThan(0);
      }
    }

    // The API's resident memory while it streams, reported: RSS is no pass/fail signal here
    // (GC slack alone measured 8 to 61 MB for a 15 MB body on a loaded 2-core machine), the
    // page-by-page reading above is.
    const growth = Math.max(...all.rss) - all.rss[0]!;
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    report('batch results stream (API process)', {
      lines: all.seen.length,
      ran,
      body_mb: mb(all.bytes),
      rss_before_mb: mb(all.rss[0]!),
      rss_peak_mb: mb(Math.max(...all.rss)),
      rss_growth_mb: mb(growth),
    });
    expect(all.bytes).toBeGreaterThan(12 * 2 ** 20);

    const failed = await readLines(`/v1/batches/${batchId}/results?status=failed`);
    expect(failed.seen.map((line) => line.id)).toEqual(failing);
    expect(failed.seen.every((line) => line.status === 'failed')).toBe(true);
    const gone = await readLines(`/v1/batches/${batchId}/results?status=expired`);
    expect(gone.seen.map((line) => line.id)).toEqual([expired, last]);

    expect((await readLines(`/v1/batches/${batchId}/results`, OTHER)).status).toBe(404);
  });
});
