import { parseRetryAfter } from '@imagen-queue/imagen';
import { createGuardedLookup, type Resolver, webhookUrlProblem } from '@imagen-queue/shared';
import { Agent, request } from 'undici';

/** What one POST to a receiver came to. */
export interface SendResult {
  /** null when no answer came (timeout, connection refused, SSRF guard). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The receiver's `Retry-After`, in ms, on a 429 or 503. */
  retryAfterMs: number | null;
}

/** One delivery's connect, headers and body timeout, unless told otherwise. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookHttpOptions {
  /** `WEBHOOK_ALLOW_PRIVATE_NETWORKS`: lifts the SSRF guard (local receivers, tests). */
  allowPrivateNetworks: boolean;
  /** Name resolution behind the guard. @defaultValue `dns.lookup` */
  resolver?: Resolver;
  /** Connect, headers and body timeout of one delivery. @defaultValue `WEBHOOK_TIMEOUT_MS` */
  timeoutMs?: number;
  /** How much of a response body is read before the connection is dropped. @defaultValue 64 KiB */
  maxResponseBytes?: number;
}

export interface WebhookHttp {
  send(url: string, headers: Record<string, string>, body: string): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * The HTTP side of delivery. Redirects are never followed (undici's `request` does not, and no
 * redirect interceptor is installed), only the first `maxResponseBytes` of an answer are read,
 * and the socket connects only to an address the SSRF guard resolved and accepted.
 */
export function createWebhookHttp(options: WebhookHttpOptions): WebhookHttp {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  const agent = new Agent({
    connect: {
      timeout: timeoutMs,
      ...(options.allowPrivateNetworks ? {} : { lookup: createGuardedLookup(options.resolver) }),
    },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  return {
    async send(url, headers, body) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      // Literal addresses never reach `lookup`, so they are checked here.
      const problem = webhookUrlProblem(url, options.allowPrivateNetworks);
      if (problem !== null) {
        return {
          statusCode: null,
          error: `refused: ${problem}`,
          durationMs: 0,
          retryAfterMs: null,
        };
      }
      try {
        const response = await request(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'imagen-queue-webhooks',
            ...headers,
          },
          body,
          dispatcher: agent,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await drainCapped(response.body, maxResponseBytes);
        const { statusCode } = response;
        const retryAfterMs =
          statusCode === 429 || statusCode === 503
            ? parseRetryAfter(response.headers['retry-after'])
            : null;
        return { statusCode, error: null, durationMs: elapsed(), retryAfterMs };
      } catch (error) {
        return {
          statusCode: null,
          error: describe(error),
          durationMs: elapsed(),
          retryAfterMs: null,
        };
      }
    },
    close: () => agent.close(),
  };
}

/** Reads at most `limit` bytes, then drops the rest with the connection. */
async function drainCapped(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number) {
  let read = 0;
  try {
    for await (const chunk of body) {
      read += chunk.length;
      if (read >= limit) break;
    }
  } catch {
    // The status line is what counts; a body cut short changes nothing.
  } finally {
    body.destroy();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code = (error as { code?: string }).code;
    if (error.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
    if (cause instanceof Error) return `${error.message}: ${cause.message}`;
    return error.message;
  }
  return String(error);
}
