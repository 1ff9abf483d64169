import type { createGuardedLookup } from '@imagen-queue/shared';
import { Agent, request } from 'undici';
import { providerError } from './error-table.ts';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** The body is read up to this many bytes; past it the answer is `too_large`. */
  maxBytes: number;
  /** The error thrown past `maxBytes`, when not the provider's `too_large`. */
  tooLarge?: () => Error;
}

/** Keep-alive HTTP for the provider: one pool per origin, bodies read with a size cap. */
export interface HttpTransport {
  send(req: HttpRequest): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export function createHttpTransport(options: {
  connections?: number | undefined;
  /** Resolves every host this transport connects to (the SSRF guard for untrusted URLs). */
  lookup?: ReturnType<typeof createGuardedLookup> | undefined;
}): HttpTransport {
  const agent = new Agent({
    connections: options.connections ?? null,
    ...(options.lookup ? { connect: { lookup: options.lookup } } : {}),
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    // The per-attempt AbortSignal is the one deadline; undici's own timers would race it.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  return {
    async send(req) {
      const answer = await request(req.url, {
        dispatcher: agent,
        method: req.method,
        headers: req.headers ?? {},
        body: req.body ?? null,
        signal: req.signal,
      });
      const body = await readCapped(
        answer.body,
        req.maxBytes,
        answer.headers['content-length'],
        req.tooLarge,
      );
      return { status: answer.statusCode, headers: answer.headers, body };
    },
    close: () => agent.close(),
  };
}

type Body = AsyncIterable<Buffer | Uint8Array> & {
  destroy(error?: Error): unknown;
  once(event: 'error', listener: () => void): unknown;
};

async function readCapped(
  body: Body,
  maxBytes: number,
  contentLength: string | string[] | undefined,
  tooLarge: () => Error = () =>
    providerError('too_large', { message: `the provider's answer is over ${maxBytes} bytes` }),
): Promise<Buffer> {
  const declared = Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Destroyed unread, undici's body emits an abort error nobody else is listening for.
    body.once('error', () => {});
    body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat(chunks, total);
}
