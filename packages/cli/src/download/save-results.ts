import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '../errors.ts';

/**
 * Streams `GET /v1/batches/{id}/results` (NDJSON) to `path`, through a temporary file so an
 * interrupted download never leaves a truncated `results.jsonl`. `false` when the API has no
 * results route (an older server): the gallery is still written.
 */
export async function saveResults(
  baseUrl: string,
  apiKey: string,
  batchId: string,
  path: string,
): Promise<boolean> {
  const response = await fetch(`${baseUrl}/v1/batches/${encodeURIComponent(batchId)}/results`, {
    headers: {
      accept: 'application/x-ndjson',
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    },
  });
  if (response.status === 404) {
    await response.body?.cancel();
    return false;
  }
  if (!response.ok || !response.body) {
    const text = await response.text();
    throw new ApiError(response.status, {
      title: 'results',
      status: response.status,
      detail: text.slice(0, 300),
    });
  }
  const partial = `${path}.partial`;
  await pipeline(
    Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
    createWriteStream(partial),
  );
  await rename(partial, path);
  return true;
}
