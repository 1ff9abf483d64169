import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_KEY, type App, build, GLOBEX_KEY } from '../support/build-app.ts';
import { testPrefix } from '../support/tracking.ts';

const MISSING_JOB = '/v1/jobs/job_00000000000000000000000000';

describe('the per-tenant request limit (API_RATE_LIMIT_PER_MIN), counted in Redis', () => {
  // Two API instances on one Redis and prefix, as two processes behind a load balancer.
  let first: App;
  let second: App;

  beforeAll(async () => {
    const prefix = testPrefix();
    first = await build(prefix, { API_RATE_LIMIT_PER_MIN: '5' });
    second = await build(prefix, { API_RATE_LIMIT_PER_MIN: '5' });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  const get = (app: App, key: string) =>
    app.inject({ url: MISSING_JOB, headers: { authorization: `Bearer ${key}` } });

  it('answers the 6th request of a minute with 429 problem+json, across API processes', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await get(i % 2 === 0 ? first : second, ACME_KEY));
    expect(answers.map((a) => a.statusCode)).toEqual([404, 404, 404, 404, 404]);
    expect(answers.map((a) => a.headers['ratelimit-remaining'])).toEqual(['4', '3', '2', '1', '0']);
    expect(answers[0]!.headers['ratelimit-limit']).toBe('5');
    expect(Number(answers[0]!.headers['ratelimit-reset'])).toBeGreaterThan(0);

    const limited = await get(second, ACME_KEY);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      detail: expect.stringContaining('5 requests a minute'),
    });
    expect(limited.headers['ratelimit-limit']).toBe('5');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['ratelimit-reset'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Writes are limited too (a submit counts in the script that reserves its position).
    const post = await first.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { authorization: `Bearer ${ACME_KEY}` },
      payload: { prompt: 'over the limit' },
    });
    expect(post.statusCode).toBe(429);
    expect(post.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(post.headers['ratelimit-remaining']).toBe('0');
    expect(Number(post.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('leaves another tenant alone', async () => {
    const other = await get(first, GLOBEX_KEY);
    expect(other.statusCode).toBe(404);
    expect(other.headers['ratelimit-remaining']).toBe('4');
  });

  it('counts a submit in the same count as every other route, and queues nothing over it', async () => {
    const submit = (app: App, prompt: unknown) =>
      app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { authorization: `Bearer ${GLOBEX_KEY}` },
        payload: { prompt },
      });
    // The previous test's GET left 4 of globex's 5.
    const accepted = [await submit(first, 'one'), await submit(second, 'two')];
    expect(accepted.map((a) => a.statusCode)).toEqual([202, 202]);
    expect(accepted.map((a) => a.headers['ratelimit-remaining'])).toEqual(['3', '2']);
    expect(accepted[0]!.headers['ratelimit-limit']).toBe('5');
    expect(Number(accepted[0]!.headers['ratelimit-reset'])).toBeGreaterThan(0);
    // A body that is refused is not counted: it touched nothing.
    expect((await submit(first, 42)).statusCode).toBe(400);
    expect((await get(second, GLOBEX_KEY)).headers['ratelimit-remaining']).toBe('1');
    expect((await submit(first, 'three')).headers['ratelimit-remaining']).toBe('0');

    const over = await submit(second, 'four');
    expect(over.statusCode).toBe(429);
    expect(over.headers['ratelimit-remaining']).toBe('0');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    // Three jobs queued, the fourth neither recorded nor queued.
    const queue = first.queues.generation;
    const queued = await queue.getJobs(['prioritized', 'waiting']);
    const prompts = await Promise.all(
      queued.map(async (job) => (await first.jobStore.get('globex', job.id!))?.request.prompt),
    );
    expect(prompts.sort()).toEqual(['one', 'three', 'two']);
  });

  it('does not limit the routes outside /v1', async () => {
    const health = await first.inject('/healthz');
    expect(health.statusCode).toBe(200);
    expect(health.headers['ratelimit-limit']).toBeUndefined();
  });
});
