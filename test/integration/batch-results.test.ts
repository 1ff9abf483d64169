import { readFileSync } from 'node:fs';
import { createJobStore, createRedis } from '@imagen-queue/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningProcess, serviceEnv, startApi } from '../support/processes.ts';
import { report } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const KEY = 'acme-results-key-1';
const OTHER = 'globex-results-key-1';
const prefix = testPrefix();
let api: RunningProcess & { url: string };
const redis = createRedis(
  { url: inject('services').redisUrl, clusterNodes: null, prefix },
  { name: 'results-test', role: 'worker' },
);
const jobs = createJobStore(redis, { prefix, retentionSeconds: 600 });

beforeAll(async () => {
  // The API in a process of its own, so its memory is measured apart from this test's.
  api = await startApi(serviceEnv(prefix, { API_KEYS: `acme:${KEY},globex:${OTHER}` }));
});
afterAll(async () => {
  await api?.stop();
  await redis.quit();
});

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** Reads the NDJSON answer line by line, sampling the API's resident memory as it goes. */
async function readLines(path: string, key = KEY) {
  const response = await fetch(`${api.url}${path}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  if (response.status !== 200) return { status: response.status, seen: [], rss: [], bytes: 0 };
  expect(response.headers.get('content-type')).toContain('application/x-ndjson');
  expect(response.headers.get('content-length')).toBeNull();
  const pid = api.child.pid!;
  const rss = [rssOf(pid)];
  const decoder = new TextDecoder();
  const seen: { id: string; index: number; status: string }[] = [];
  let pending = '';
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const { id, index, status } = JSON.parse(line);
      seen.push({ id, index, status });
    }
    rss.push(rssOf(pid));
  }
  expect(pending).toBe('');
  return { status: 200, seen, rss, bytes };
}

describe('GET /v1/batches/{id}/results', () => {
  it('streams all 10,000 jobs in submission order, and ?status=failed only the failed', async () => {
    const submitted = await fetch(`${api.url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        jobs: Array.from({ length: 10_000 }, (_, i) => ({ prompt: `${'p'.repeat(390)} ${i}` })),
      }),
    });
    expect(submitted.status).toBe(202);
    const batchId = ((await submitted.json()) as { id: string }).id;
    const ids = await redis.lrange(jobs.keys.batchJobs('acme', batchId), 0, -1);
    const failing = ids.filter((_, i) => i % 997 === 0);
    for (const id of failing) {
      const moved = await jobs.transition('acme', id, {
        from: ['queued'],
        to: 'failed',
        error: { code: 'invalid_request', message: 'made to fail', retryable: false },
      });
      expect(moved.applied).toBe(true);
    }

    const all = await readLines(`/v1/batches/${batchId}/results`);
    expect(all.seen).toHaveLength(10_000);
    expect(all.seen.map((line) => line.index)).toEqual(ids.map((_, i) => i));
    expect(all.seen.map((line) => line.id)).toEqual(ids);
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    report('batch results stream (API process)', {
      lines: all.seen.length,
      body_mb: mb(all.bytes),
      rss_before_mb: mb(all.rss[0]!),
      rss_peak_mb: mb(Math.max(...all.rss)),
      rss_growth_mb: mb(Math.max(...all.rss) - all.rss[0]!),
    });

    const failed = await readLines(`/v1/batches/${batchId}/results?status=failed`);
    expect(failed.seen.map((line) => line.id)).toEqual(failing);
    expect(failed.seen.every((line) => line.status === 'failed')).toBe(true);

    expect((await readLines(`/v1/batches/${batchId}/results`, OTHER)).status).toBe(404);
  });
});
