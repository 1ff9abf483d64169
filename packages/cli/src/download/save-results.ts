import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { paths } from '@imagen-queue/openapi-client';
import type { Client } from 'openapi-fetch';
import { ApiError } from '../errors.ts';

/**
 * Streams `GET /v1/batches/{id}/results` (NDJSON) to `path`, through a temporary file so an
 * interrupted download never leaves a truncated `results.jsonl`. `false` when the API has no
 * results route (an older server): the gallery is still written.
 */
export async function saveResults(
  api: Client<paths>,
  batchId: string,
  path: string,
): Promise<boolean> {
  const { data, error, response } = await api.GET('/v1/batches/{id}/results', {
    params: { path: { id: batchId } },
    headers: { accept: 'application/x-ndjson' },
    parseAs: 'stream',
  });
  if (response.status === 404) return false;
  if (!response.ok || !data) {
    const text = typeof error === 'string' ? error : JSON.stringify(error ?? '');
    throw new ApiError(response.status, {
      title: 'results',
      status: response.status,
      detail: text.slice(0, 300),
    });
  }
  const partial = `${path}.partial`;
  await pipeline(
    Readable.fromWeb(data as import('node:stream/web').ReadableStream),
    createWriteStream(partial),
  );
  await rename(partial, path);
  return true;
}
