import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createImagenClient } from './client.ts';
import { createEmulator, type Emulator } from './emulator/server.ts';
import { ERROR_TABLE } from './error-table.ts';
import type { ProviderError } from './errors.ts';
import { params } from './test-params.ts';
import { until } from './test-wait.ts';
import type { ImagenClientOptions } from './types.ts';

// The client against the emulator over real HTTP: one case per row of the error table.
let emulator: Emulator;
let broken: Server;
let brokenUrl: string;
const covered = new Set<string>();

beforeAll(async () => {
  emulator = await createEmulator({ smallImages: true, apiKey: 'right-key' });
  // What the emulator cannot be made to do: cut the connection, or answer with non-JSON.
  broken = createServer((req, res) => {
    if (req.url?.startsWith('/reset')) return req.socket.destroy();
    res.writeHead(200, { 'content-type': 'application/json' }).end('<html>502 from a proxy</html>');
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await emulator.close();
  await new Promise((resolve) => broken.close(resolve));
  // Every row of the table has a case below.
  const rows = ERROR_TABLE.map((row) =>
    Array.isArray(row.when) ? row.when.join('-') : String(row.when),
  );
  expect(rows.filter((row) => !covered.has(row))).toEqual([]);
});
beforeEach(() =>
  emulator.setConfig({
    latencyMs: [0, 0],
    rateLimitRpm: null,
    retryAfter: true,
    forceStatus: null,
    hangRate: 0,
  }),
);

async function failure(
  prompt: string,
  options: Partial<ImagenClientOptions> = {},
  signal?: AbortSignal,
): Promise<ProviderError> {
  const client = createImagenClient({
    provider: 'aimlapi',
    baseUrl: emulator.url,
    apiKey: 'right-key',
    ...options,
  });
  try {
    await client.generate(params({ prompt }), signal ? { signal } : {});
  } catch (error) {
    return error as ProviderError;
  } finally {
    await client.close();
  }
  throw new Error('expected the generation to fail');
}

describe('HTTP statuses', () => {
  it.each([
    ['400', 400, 'invalid_request', false],
    ['401', 401, 'provider_auth', false],
    ['402', 402, 'provider_quota', false],
    ['403', 403, 'provider_auth', false],
    ['404', 404, 'invalid_request', false],
    ['408', 408, 'timeout', true],
    ['422', 422, 'invalid_request', false],
    ['400-499', 409, 'invalid_request', false],
    ['500-599', 500, 'provider_unavailable', true],
    ['500-599', 503, 'provider_unavailable', true],
  ] as const)('row %s: [status:%i] → %s', async (row, status, code, retryable) => {
    covered.add(row);
    const error = await failure(`a cat [status:${status}]`);
    expect(error).toMatchObject({
      name: 'ProviderError',
      code,
      retryable,
      status,
      retryAfterMs: null,
    });
  });

  it('a wrong key is provider_auth, and the key is not in the message', async () => {
    const error = await failure('a cat', { apiKey: 'wrong-key' });
    expect(error).toMatchObject({ code: 'provider_auth', retryable: false, status: 401 });
    expect(error.message).not.toContain('wrong-key');
  });

  it('row 429: a 429 storm is rate_limited, retryable, honouring Retry-After', async () => {
    covered.add('429');
    emulator.setConfig({ rateLimitRpm: 1 });
    emulator.resetStats();
    const client = createImagenClient({
      provider: 'aimlapi',
      baseUrl: emulator.url,
      apiKey: 'right-key',
    });
    await client.generate(params());
    const error = await client.generate(params()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'rate_limited', retryable: true, status: 429 });
    expect((error as ProviderError).retryAfterMs).toBeGreaterThan(50_000);
    expect((error as ProviderError).retryAfterMs).toBeLessThanOrEqual(60_000);
    emulator.setConfig({ retryAfter: false });
    await expect(client.generate(params())).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: null,
    });
    expect(emulator.stats()).toMatchObject({ requests: 3, images: 1, rate_limited: 2 });
    await client.close();
  });
});

describe('failures without a status of their own', () => {
  it('refused: a [blocked] prompt is content_filtered, not retryable', async () => {
    covered.add('refused');
    expect(await failure('a cat [blocked]')).toMatchObject({
      code: 'content_filtered',
      retryable: false,
      status: 400,
    });
  });

  it('model_gone: the provider 404s the model: model_unavailable, naming the successor', async () => {
    covered.add('model_gone');
    expect(await failure('a cat [retired]')).toMatchObject({
      code: 'model_unavailable',
      retryable: false,
      status: 404,
      message: expect.stringContaining('use google/imagen-4.0-generate-001'),
    });
  });

  it('all_filtered: zero images back is content_filtered, not retryable', async () => {
    covered.add('all_filtered');
    expect(await failure('a cat [filter:4]')).toMatchObject({
      code: 'content_filtered',
      retryable: false,
    });
  });

  it('timeout: no answer within timeoutMs is retryable', async () => {
    covered.add('timeout');
    emulator.setConfig({ latencyMs: [2000, 2000] });
    const error = await failure('a cat', { timeoutMs: 100 });
    expect(error).toMatchObject({ code: 'timeout', retryable: true, status: null });
  });

  it('canceled: the caller aborting is canceled, not retryable, and stops at once', async () => {
    covered.add('canceled');
    // The emulator holds the request and never answers it: only the abort can end the call.
    emulator.setConfig({ hangRate: 1 });
    const hungBefore = emulator.stats().hung;
    const caller = new AbortController();
    const pending = failure('a cat', {}, caller.signal);
    await until(() => emulator.stats().hung === hungBefore + 1);
    caller.abort();
    const error = await pending;
    expect(error).toMatchObject({ code: 'canceled', retryable: false });
    expect(emulator.stats().hung).toBe(hungBefore + 1);
    const already = await failure('a cat', {}, AbortSignal.abort());
    expect(already).toMatchObject({ code: 'canceled' });
  });

  it('network: a reset connection or a refused port is retryable', async () => {
    covered.add('network');
    expect(await failure('a cat', { baseUrl: `${brokenUrl}/reset` })).toMatchObject({
      code: 'network',
      retryable: true,
    });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await failure('a cat', { baseUrl: `http://127.0.0.1:${port}` })).toMatchObject({
      code: 'network',
    });
  });

  it('invalid_response: a body that is not the documented JSON is retryable', async () => {
    covered.add('invalid_response');
    expect(await failure('a cat', { baseUrl: brokenUrl })).toMatchObject({
      code: 'invalid_response',
      retryable: true,
    });
  });

  it('too_large: an image over maxImageBytes is invalid_response, not retryable', async () => {
    covered.add('too_large');
    const error = await failure('a cat', { maxImageBytes: 50 });
    expect(error).toMatchObject({ code: 'invalid_response', retryable: false });
  });
});
