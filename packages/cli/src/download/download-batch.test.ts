import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../api-client.ts';
import { downloadBatch } from './download-batch.ts';

function png(shade: number): Buffer {
  const image = new PNG({ width: 4, height: 4 });
  image.data.fill(shade);
  return PNG.sync.write(image);
}

const images = new Map([
  ['/img/a.png', png(10)],
  ['/img/b0.png', png(80)],
  ['/img/b1.png', png(160)],
]);
const hits = new Map<string, number>();
let server: Server;
let base: string;
let broken = false;

function job(id: string, prompt: string, status: string, files: string[]) {
  return {
    id,
    batch_id: 'bat_t',
    status,
    attempts: 1,
    created_at: '2025-01-01T00:00:00.000Z',
    started_at: null,
    finished_at: null,
    request: {
      prompt,
      model: 'imagen-3.0-generate-002',
      aspect_ratio: '1:1',
      num_images: files.length,
    },
    metadata: {},
    result:
      status === 'succeeded'
        ? {
            enhanced_prompt: `${prompt}, enhanced`,
            filtered: 0,
            images: files.map((path) => {
              const bytes = images.get(path)!;
              return {
                url: `${base}${path}`,
                key: path,
                mime_type: 'image/png',
                width: 4,
                height: 4,
                bytes: bytes.length,
                sha256: createHash('sha256').update(bytes).digest('hex'),
              };
            }),
          }
        : null,
    error: status === 'failed' ? { code: 'blocked', message: 'refused', retryable: false } : null,
  };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const json = (body: unknown) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(body));
    };
    if (url.pathname === '/v1/batches/bat_t') {
      const counts = { total: 3, queued: 0, running: 0, succeeded: 2, failed: 1, canceled: 0 };
      return json({
        id: 'bat_t',
        status: 'completed',
        counts,
        created_at: '',
        finished_at: '',
        metadata: {},
      });
    }
    if (url.pathname === '/v1/batches/bat_t/jobs') {
      // Two pages, so the listing's order across pages decides the indexes.
      return url.searchParams.get('cursor') === 'p2'
        ? json({
            data: [job('job_c', 'a blue whale', 'succeeded', ['/img/b0.png', '/img/b1.png'])],
            next_cursor: null,
          })
        : json({
            data: [
              job('job_a', 'A red fox!', 'succeeded', ['/img/a.png']),
              job('job_b', 'blocked', 'failed', []),
            ],
            next_cursor: 'p2',
          });
    }
    const bytes = images.get(url.pathname);
    if (!bytes) return response.writeHead(404).end();
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    if (broken && url.pathname === '/img/b1.png') return response.writeHead(503).end();
    response.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

let out: string;
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'cli-download-'));
  hits.clear();
  broken = false;
  return () => rm(out, { recursive: true, force: true });
});

describe('downloadBatch', () => {
  it('names files {index}-{slug}.png by position in the batch, -{n} for several images', async () => {
    const summary = await downloadBatch(createApiClient(base, 'k'), 'bat_t', out);
    expect(summary.files).toEqual([
      { file: '0-a-red-fox.png', job_id: 'job_a', status: 'downloaded' },
      { file: '2-a-blue-whale-0.png', job_id: 'job_c', status: 'downloaded' },
      { file: '2-a-blue-whale-1.png', job_id: 'job_c', status: 'downloaded' },
    ]);
    expect(summary.without_images).toEqual([{ job_id: 'job_b', index: 1, status: 'failed' }]);
    expect(summary.errors).toEqual([]);
    expect(await readFile(join(out, '2-a-blue-whale-1.png'))).toEqual(images.get('/img/b1.png'));
    const gallery = await readFile(join(out, 'index.html'), 'utf8');
    expect(gallery).toContain('src="0-a-red-fox.png"');
    expect(gallery).toContain('a blue whale, enhanced');
    expect(gallery).toContain('failed: refused');
  });

  it('resumes: complete files are skipped, truncated ones fetched again', async () => {
    await downloadBatch(createApiClient(base, 'k'), 'bat_t', out);
    await rm(join(out, '0-a-red-fox.png'));
    await writeFile(join(out, '2-a-blue-whale-0.png'), 'truncated');
    hits.clear();

    const summary = await downloadBatch(createApiClient(base, 'k'), 'bat_t', out);
    expect(summary.files.map(({ file, status }) => [file, status])).toEqual([
      ['0-a-red-fox.png', 'downloaded'],
      ['2-a-blue-whale-0.png', 'downloaded'],
      ['2-a-blue-whale-1.png', 'skipped'],
    ]);
    expect(Object.fromEntries(hits)).toEqual({ '/img/a.png': 1, '/img/b0.png': 1 });
    expect((await stat(join(out, '2-a-blue-whale-0.png'))).size).toBe(
      images.get('/img/b0.png')!.length,
    );
  });

  it('reports a failed image, leaves no partial file and writes the gallery anyway', async () => {
    broken = true;
    const summary = await downloadBatch(createApiClient(base, 'k'), 'bat_t', out);
    expect(summary.errors).toEqual([
      { file: '2-a-blue-whale-1.png', message: expect.stringMatching(/HTTP 503/) },
    ]);
    expect((await readdir(out)).sort()).toEqual([
      '0-a-red-fox.png',
      '2-a-blue-whale-0.png',
      'index.html',
    ]);

    broken = false;
    const rerun = await downloadBatch(createApiClient(base, 'k'), 'bat_t', out);
    expect(rerun.errors).toEqual([]);
    expect(rerun.files.filter((file) => file.status === 'downloaded')).toHaveLength(1);
  });
});
