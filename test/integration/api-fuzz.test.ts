import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, AUTH, build, routeList } from '../support/build-app.ts';
import { testPrefix } from '../support/tracking.ts';

const MISSING_JOB = 'job_00000000000000000000000000';
const MISSING_BATCH = 'bat_00000000000000000000000000';

interface Request {
  body: string | Buffer | undefined;
  contentType: string | undefined;
  idempotencyKey: string | undefined;
  id: string;
}

const OTHER_CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/x-ndjson',
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'image/png',
  'application/problem+json',
  'garbage',
  '',
];

/** Mostly `valid`, sometimes `invalid`: a body then often gets past the parser to the deep checks. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: invalid, weight: 1 });

const prompt = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `p${s}`);

const nearValid = fc.record(
  {
    prompt: mostly(prompt, fc.oneof(fc.string({ maxLength: 500 }), fc.jsonValue({ maxDepth: 2 }))),
    model: mostly(fc.constant('imagen-3.0-generate-002'), fc.oneof(fc.string(), fc.integer())),
    num_images: mostly(
      fc.integer({ min: 1, max: 4 }),
      fc.oneof(fc.integer(), fc.double(), fc.constant(1e308), fc.string({ maxLength: 3 })),
    ),
    n: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constant(null)),
    seed: mostly(
      fc.integer({ min: 0, max: 4294967295 }),
      fc.constantFrom(2 ** 53 + 1, -1, 4294967296, 1.5),
    ),
    aspect_ratio: mostly(fc.constantFrom('1:1', '16:9', '9:16'), fc.string()),
    image_size: mostly(
      fc.record({
        width: fc.integer({ min: 1, max: 4000 }),
        height: fc.integer({ min: 1, max: 4000 }),
      }),
      fc.oneof(
        fc.record({ width: fc.integer(), height: fc.integer() }),
        fc.jsonValue({ maxDepth: 2 }),
      ),
    ),
    webhook_url: fc.oneof(
      fc.constantFrom(
        'http://127.0.0.1/hook',
        'https://example.com/hook',
        'http://169.254.169.254/',
        'ftp://x',
      ),
      fc.webUrl(),
      fc.string(),
    ),
    metadata: mostly(
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
      fc.oneof(
        fc.string({ minLength: 5000, maxLength: 6000 }).map((s) => ({ big: s })),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    ),
    priority: mostly(fc.integer({ min: 1, max: 1000 }), fc.oneof(fc.integer(), fc.double())),
    jobs: mostly(
      fc.array(fc.record({ prompt, seed: fc.integer({ min: 0, max: 1000 }) }), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    defaults: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  nearValid,
  fc
    .tuple(nearValid, fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue({ maxDepth: 2 })))
    .map(([known, unknown]) => ({ ...unknown, ...known })),
);

const rawBody = fc.oneof(
  jsonBody.map((value) => JSON.stringify(value)),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  // Valid JSON around invalid UTF-8 bytes.
  fc
    .uint8Array({ minLength: 1, maxLength: 20 })
    .map((bytes) =>
      Buffer.concat([Buffer.from('{"prompt":"'), Buffer.from(bytes), Buffer.from('"}')]),
    ),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc
    .integer({ min: 1, max: 5_000 })
    .map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.constantFrom('', 'null', '1e999', '-0', '"x"', '{"prompt":"a","seed":1e400}', '{', '\u0000'),
  fc
    .array(jsonBody, { maxLength: 4 })
    .map((lines) => lines.map((l) => JSON.stringify(l)).join('\n')),
);

describe('every write route, fed arbitrary bodies: never a 5xx, every 4xx a problem', () => {
  const prefix = testPrefix();
  let app: App;
  let writeRoutes: string[] = [];
  const ids: string[] = [MISSING_JOB, MISSING_BATCH];

  beforeAll(async () => {
    // Hundreds of requests a minute: the limiter is tested on its own (rate-limit.test.ts).
    app = await build(prefix, { API_RATE_LIMIT_PER_MIN: '1000000' });
    writeRoutes = routeList(app).filter((route) => /^(POST|PUT|PATCH|DELETE) \/v1\//.test(route));
    const job = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: AUTH,
      payload: { prompt: 'a real job to cancel and retry' },
    });
    expect(job.statusCode).toBe(202);
    ids.push(job.json().id);
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: AUTH,
      payload: { jobs: [{ prompt: 'a real batch' }] },
    });
    if (batch.statusCode === 202) ids.push(batch.json().id);
  });
  afterAll(() => app?.close());

  // Built once the real ids exist.
  const requests = () =>
    fc.record({
      body: fc.option(rawBody, { nil: undefined }),
      contentType: fc.oneof(
        { arbitrary: fc.constant('application/json'), weight: 6 },
        fc.constantFrom(...OTHER_CONTENT_TYPES),
        fc.constant(undefined),
      ),
      idempotencyKey: fc.option(
        fc.string({
          unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
          maxLength: 300,
        }),
        { nil: undefined },
      ),
      id: fc.oneof(fc.constantFrom(...ids), fc.string({ maxLength: 40 }).map(encodeURIComponent)),
    });

  const check = async (route: string, input: Request) => {
    const [method, path] = route.split(' ') as [string, string];
    const headers: Record<string, string> = { ...AUTH, prefer: 'wait=0' };
    if (input.contentType !== undefined) headers['content-type'] = input.contentType;
    if (input.idempotencyKey !== undefined) headers['idempotency-key'] = input.idempotencyKey;
    const response = await app.inject({
      method: method as 'POST',
      url: path.replace(/:\w+/g, input.id || MISSING_JOB),
      headers,
      ...(input.body !== undefined ? { payload: input.body } : {}),
    });
    const where = `${route} → ${response.statusCode} ${response.body.slice(0, 300)}`;
    expect(response.statusCode, where).toBeLessThan(500);
    if (response.statusCode >= 400) {
      expect(response.headers['content-type'], where).toMatch(/^application\/problem\+json/);
      const problem = response.json();
      expect(problem, where).toMatchObject({
        type: expect.any(String),
        title: expect.any(String),
        status: response.statusCode,
        detail: expect.any(String),
      });
    }
  };

  it('finds the write routes to feed', () => {
    expect(writeRoutes).toContain('POST /v1/jobs');
  });

  it('holds for every write route', async () => {
    for (const route of writeRoutes) {
      await fc.assert(
        fc.asyncProperty(requests(), (input) => check(route, input)),
        { numRuns: 150 },
      );
    }
  });

  // Garbage in the URL itself: Fastify rejects it before routing, outside the error handler.
  const urlGarbage = fc.oneof(
    fc.constantFrom(
      '%00%ff',
      '%ff',
      '%zz',
      '%',
      '%E0%A4%A',
      '%C0%AF',
      '%ED%A0%80',
      '..%2f..%2f',
      '%25%',
    ),
    fc
      .array(
        fc.oneof(
          fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`),
          fc.constantFrom('%', '%g', ';', '//', 'job_'),
          fc.string({ maxLength: 4 }),
        ),
        { minLength: 1, maxLength: 8 },
      )
      .map((parts) => parts.join('')),
  );

  it('answers garbage URLs on every route with problem+json', async () => {
    const routes = routeList(app).filter((route) => / \/v1\//.test(route));
    const bare = ['GET /v1/jobs/%00%ff', 'GET /v1/%ff', 'POST /v1/jobs%ff', 'GET /%00%ff'];
    for (const request of bare) {
      const [method, url] = request.split(' ') as [string, string];
      await checkUrl(method, url);
    }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), urlGarbage, async (route, garbage) => {
        const [method, path] = route.split(' ') as [string, string];
        const url = path.includes(':') ? path.replace(/:\w+/g, garbage) : `${path}/${garbage}`;
        await checkUrl(method, url);
      }),
      { numRuns: 300 },
    );
  });

  const checkUrl = async (method: string, url: string) => {
    const response = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...AUTH, prefer: 'wait=0', 'content-type': 'application/json' },
      ...(method === 'GET' || method === 'DELETE' ? {} : { payload: '{}' }),
    });
    const where = `${method} ${url} → ${response.statusCode} ${response.body.slice(0, 300)}`;
    expect(response.statusCode, where).toBeLessThan(500);
    if (response.statusCode >= 400) {
      expect(response.headers['content-type'], where).toMatch(/^application\/problem\+json/);
      expect(response.json(), where).toMatchObject({ status: response.statusCode });
    }
  };

  it('answers a 20 MB body with 413 problem+json', async () => {
    const prompt = 'x'.repeat(20 * 1024 * 1024);
    for (const [url, contentType, body] of [
      ['/v1/jobs', 'application/json', JSON.stringify({ prompt })],
      ['/v1/batches', 'application/json', JSON.stringify({ jobs: [{ prompt }] })],
      ['/v1/batches', 'application/x-ndjson', `${JSON.stringify({ prompt })}\n`],
    ] as const) {
      const response = await app.inject({
        method: 'POST',
        url,
        headers: { ...AUTH, 'content-type': contentType },
        payload: body,
      });
      expect(response.statusCode, `${url} ${contentType}`).toBe(413);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 413, title: expect.any(String) });
    }
  });
});
