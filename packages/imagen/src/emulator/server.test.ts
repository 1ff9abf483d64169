import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../test-wait.ts';
import { createEmulator, type Emulator } from './server.ts';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await createEmulator({ smallImages: true });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  await post('/__emulator/config', {
    latencyMs: 0,
    rateLimitRpm: 0,
    failureRate: 0,
    hangRate: 0,
    apiKey: null,
  });
  await post('/__emulator/reset', {});
});

const auth = { authorization: 'Bearer any' };
const body = (prompt = 'a kite', extra = {}) => ({
  model: 'imagen-3.0-generate-002',
  prompt,
  ...extra,
});

async function post(path: string, json: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(json),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

describe('the emulator over HTTP', () => {
  it('requires a bearer key, or exactly EMULATOR_API_KEY when set', async () => {
    expect((await post('/v1/images/generations', body())).status).toBe(401);
    expect((await post('/v1/images/generations', body(), auth)).status).toBe(201);
    await post('/__emulator/config', { apiKey: 'only-this' });
    expect((await post('/v1/images/generations', body(), auth)).status).toBe(401);
    expect(
      (await post('/v1/images/generations', body(), { authorization: 'Bearer only-this' })).status,
    ).toBe(201);
  });

  it('validates the body like the provider: 400 naming the field', async () => {
    const tooMany = await post('/v1/images/generations', body('x', { num_images: 5 }), auth);
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.json)).toContain('num_images');
    const ultra = await post(
      '/v1/images/generations',
      body('x', { model: 'google/imagen-4.0-ultra-generate-001', num_images: 2 }),
      auth,
    );
    expect(ultra.status).toBe(400);
  });

  it('a 429 storm driven at run time, with and without Retry-After; stats count it', async () => {
    await post('/__emulator/config', { rateLimitRpm: 2, retryAfter: true });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post('/v1/images/generations', body(), auth));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 429, 429, 429]);
    expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
    await post('/__emulator/config', { retryAfter: false });
    expect(
      (await post('/v1/images/generations', body(), auth)).headers.get('retry-after'),
    ).toBeNull();
    const stats = await (await fetch(`${emulator.url}/__emulator/stats`)).json();
    expect(stats).toEqual({
      requests: 6,
      images: 2,
      rate_limited: 4,
      failed: 0,
      hung: 0,
      in_flight_max: 1,
    });
  });

  it('failureRate 1 answers 500 or 503 and counts them', async () => {
    await post('/__emulator/config', { failureRate: 1 });
    const answers = await Promise.all(
      [1, 2, 3, 4].map(() => post('/v1/images/generations', body(), auth)),
    );
    for (const answer of answers) expect([500, 503]).toContain(answer.status);
    expect(emulator.stats()).toMatchObject({ requests: 4, failed: 4 });
  });

  it('latency applies, and concurrent requests show in in_flight_max', async () => {
    await post('/__emulator/config', { latencyMs: '100-150' });
    const started = Date.now();
    await Promise.all([1, 2, 3].map(() => post('/v1/images/generations', body(), auth)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(emulator.stats().in_flight_max).toBe(3);
  });

  it('serves URL images at /__emulator/images/{id}.png and 404s unknown ids', async () => {
    const answer = await post(
      '/v1/images/generations',
      body('x', { convert_base64_to_url: true, seed: 1 }),
      auth,
    );
    const [entry] = answer.json.data as { url: string }[];
    expect(entry!.url).toMatch(/\/__emulator\/images\/[\w-]+\.png$/);
    const image = await fetch(entry!.url);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect((await fetch(`${emulator.url}/__emulator/images/nope.png`)).status).toBe(404);
  });

  it('refuses a bad run-time config with 400 and keeps the old one', async () => {
    const answer = await post('/__emulator/config', { hangRate: 'often' });
    expect(answer.status).toBe(400);
    expect(emulator.config().hangRate).toBe(0);
  });
});

describe('hanging', () => {
  it('never answers a hung request, and still closes at once', async () => {
    const own = await createEmulator({ hangRate: 1, smallImages: true });
    const pending = fetch(`${own.url}/v1/images/generations`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(body()),
    }).catch((error: unknown) => error);
    await until(() => own.stats().hung === 1);
    expect(own.stats()).toMatchObject({ requests: 1, hung: 1 });
    // The hung request never answers by itself: close() resolving at all shows it dropped it
    // rather than waiting on it (else the test fails on its timeout), and the client sees an error.
    await own.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(own.stats()).toMatchObject({ requests: 1, hung: 1 });
  });
});

it('a config body that is not JSON is a 400, not a crash', async () => {
  const response = await fetch(`${emulator.url}/__emulator/config`, {
    method: 'POST',
    body: '{nope',
  });
  expect(response.status).toBe(400);
});

describe('billing like the AI/ML API', () => {
  it('reports each 201 in headers and body, at the per-model price, and records the request id', async () => {
    await post('/__emulator/config', { pricesUsd: { 'imagen-3.0-generate-002': 0.03 } });
    const answer = await post('/v1/images/generations', body('priced', { num_images: 2 }), {
      ...auth,
      'x-client-request-id': 'job_abc.1',
    });
    expect(answer.status).toBe(201);
    expect(Number(answer.headers.get('x-aimlapi-usd-spent'))).toBeCloseTo(0.06, 9);
    const credits = Number(answer.headers.get('x-aimlapi-credits-used'));
    expect(credits).toBeGreaterThan(0);
    expect(answer.json.meta).toEqual({ usage: { credits_used: credits } });
    await post('/v1/images/generations', { ...body(), num_images: 9 }, auth);
    const { data } = (await (await fetch(`${emulator.url}/__emulator/calls`)).json()) as {
      data: { request_id: string | null; status: number; usd: number; images: number }[];
    };
    expect(data).toEqual([
      expect.objectContaining({ request_id: 'job_abc.1', status: 201, images: 2, usd: 0.06 }),
      expect.objectContaining({ request_id: null, status: 400, images: 0, usd: 0 }),
    ]);
    await post('/__emulator/config', { pricesUsd: {} });
  });
});
