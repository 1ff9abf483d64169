import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_KEY, AUTH, build } from '../support/build-app.ts';
import { report } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

type App = Awaited<ReturnType<typeof build>>;
let app: App;
let url: string;

beforeAll(async () => {
  app = await build(testPrefix());
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
});

/** Reads the NDJSON answer line by line, keeping only the count and a few fields. */
async function readLines(path: string) {
  const response = await fetch(`${url}${path}`, {
    headers: { authorization: `Bearer ${ACME_KEY}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/x-ndjson');
  const decoder = new TextDecoder();
  const seen: { id: string; index: number; status: string }[] = [];
  let pending = '';
  const heap: number[] = [process.memoryUsage().heapUsed];
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const { id, index, status } = JSON.parse(line);
      seen.push({ id, index, status });
    }
    if (seen.length % 1000 < 50) heap.push(process.memoryUsage().heapUsed);
  }
  expect(pending).toBe('');
  return { seen, heap, chunked: response.headers.get('content-length') === null };
}

describe('GET /v1/batches/{id}/results', () => {
  it('streams all 10,000 jobs in submission order, and ?status=failed only the failed', async () => {
    const jobs = Array.from({ length: 10_000 }, (_, i) => ({ prompt: `${'p'.repeat(300)} ${i}` }));
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      payload: { jobs },
      headers: AUTH,
    });
    expect(submitted.statusCode, submitted.body.slice(0, 200)).toBe(202);
    const batchId = submitted.json().id as string;
    const ids = await app.batchStore.jobIds('acme', batchId, 0, 10_000);
    const failing = ids.filter((_, i) => i % 997 === 0);
    for (const id of failing) {
      const moved = await app.jobStore.transition('acme', id, {
        from: ['queued'],
        to: 'failed',
        error: { code: 'invalid_request', message: 'made to fail', retryable: false },
      });
      expect(moved.applied).toBe(true);
    }

    const all = await readLines(`/v1/batches/${batchId}/results`);
    expect(all.chunked).toBe(true);
    expect(all.seen).toHaveLength(10_000);
    expect(all.seen.map((line) => line.index)).toEqual(ids.map((_, i) => i));
    expect(all.seen.map((line) => line.id)).toEqual(ids);
    const growthMb = (Math.max(...all.heap) - all.heap[0]!) / 2 ** 20;
    report('batch results stream', { lines: all.seen.length, heap_growth_mb: growthMb.toFixed(1) });

    const failed = await readLines(`/v1/batches/${batchId}/results?status=failed`);
    expect(failed.seen.map((line) => line.id)).toEqual(failing);
    expect(failed.seen.every((line) => line.status === 'failed')).toBe(true);
  });

  it('is a 404 for a batch of another tenant', async () => {
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      payload: { jobs: [{ prompt: 'x' }] },
      headers: AUTH,
    });
    const other = await app.inject({
      method: 'GET',
      url: `/v1/batches/${submitted.json().id}/results`,
      headers: { authorization: 'Bearer globex-inject-key-1' },
    });
    expect(other.statusCode).toBe(404);
  });
});
