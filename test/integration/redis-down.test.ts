import { type RedisServer, startRedisServer } from '@imagen-queue/dev-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, AUTH, build, routeList } from '../support/build-app.ts';
import { waitUntil } from '../support/processes.ts';
import { report } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const JOB_ID = 'job_00000000000000000000000000';
const BATCH_ID = 'bat_00000000000000000000000000';
const EVENT_ID = `evt_${JOB_ID}_1`;
/** A body each route would otherwise accept, so it is Redis that stops it, not validation. */
const BODIES: Record<string, object> = {
  'POST /v1/jobs': { prompt: 'while redis is down' },
  'POST /v1/images/generations': { prompt: 'while redis is down' },
  'POST /v1/batches': { jobs: [{ prompt: 'while redis is down' }] },
};

/** Routes that read no state, and so keep answering while Redis is down. */
const STATELESS = new Set(['GET /v1/models']);

interface Probe {
  route: string;
  method: 'GET' | 'POST';
  url: string;
  payload?: object;
}

/** Every `/v1` route of the app, its parameters filled with well-formed ids. */
function probes(app: App): Probe[] {
  return routeList(app)
    .filter((route) => / \/v1\//.test(route))
    .map((route) => {
      const [method, path] = route.split(' ') as ['GET' | 'POST', string];
      const url = path
        .replace(/\/jobs\/:\w+/, `/jobs/${JOB_ID}`)
        .replace(/\/batches\/:\w+/, `/batches/${BATCH_ID}`)
        .replace(/:event_id/, EVENT_ID);
      const payload = BODIES[route];
      return { route, method, url, ...(payload ? { payload } : {}) };
    });
}

describe('Redis down: every /v1 route answers 503 problem+json at once, and recovers by itself', () => {
  let redis: RedisServer;
  let app: App;

  beforeAll(async () => {
    redis = await startRedisServer();
    app = await build(testPrefix(), { REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  const send = ({ method, url, payload }: Omit<Probe, 'route'>) =>
    app.inject({ method, url, headers: AUTH, ...(payload ? { payload } : {}) });
  const readJob = { method: 'GET', url: `/v1/jobs/${JOB_ID}` } as const;

  it('answers normally while Redis is up', async () => {
    expect((await send(readJob)).statusCode).toBe(404);
  });

  it('answers 503 problem+json with Retry-After while it is down, without waiting for it', async () => {
    await redis.stop();
    const all = probes(app);
    expect(all.map((probe) => probe.route)).toContain('POST /v1/jobs');
    const slowest = { route: '', ms: 0 };
    for (const request of all) {
      const started = performance.now();
      // Redis stays down until the next test: an API that queued the command until Redis came
      // back would never answer here, and the test would fail on its timeout.
      const response = await send(request);
      const ms = performance.now() - started;
      if (ms > slowest.ms) Object.assign(slowest, { route: request.route, ms: Math.round(ms) });
      if (STATELESS.has(request.route)) {
        // The model catalogue is the registry in memory: it has no reason to fail with Redis.
        expect(response.statusCode, `${request.route}: ${response.body}`).toBe(200);
        continue;
      }
      expect(response.statusCode, `${request.route}: ${response.body}`).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['retry-after']).toBeDefined();
      expect(response.json()).toMatchObject({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: expect.any(String),
      });
    }
    // How fast is a figure for the log, not a pass/fail bound.
    report('redis-down', { slowest_route: slowest.route, slowest_ms: slowest.ms });
  });

  it('recovers by itself once Redis is back on the same port', async () => {
    redis = await startRedisServer({ port: redis.port });
    await waitUntil(async () => (await send(readJob)).statusCode === 404, 20_000, 'recovery');
    const created = await send({
      method: 'POST',
      url: '/v1/jobs',
      payload: BODIES['POST /v1/jobs']!,
    });
    expect(created.statusCode, created.body).toBe(202);
    const read = await app.inject({ url: `/v1/jobs/${created.json().id}`, headers: AUTH });
    expect(read.statusCode).toBe(200);
  });
});
