import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_KEY, build, GLOBEX_KEY, routeList } from '../support/build-app.ts';
import { waitUntil } from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';

type App = Awaited<ReturnType<typeof build>>;
let app: App;
const KEYS = { acme: ACME_KEY, globex: GLOBEX_KEY };
const auth = (tenant: keyof typeof KEYS = 'acme') => ({ authorization: `Bearer ${KEYS[tenant]}` });

beforeAll(async () => {
  app = await build(testPrefix());
});
afterAll(async () => {
  await app.close();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    payload: payload as object,
    headers: { ...auth(), ...headers },
  });
const get = (url: string, tenant: 'acme' | 'globex' = 'acme') =>
  app.inject({ method: 'GET', url, headers: auth(tenant) });

describe('POST /v1/batches', () => {
  it('accepts JSON with defaults, queues every job, and counts them', async () => {
    const response = await post('/v1/batches', {
      jobs: [{ prompt: 'a' }, { prompt: 'b', aspect_ratio: '16:9' }, { prompt: 'c' }],
      defaults: { aspect_ratio: '9:16', num_images: 2 },
      metadata: { project: 'x' },
    });
    expect(response.statusCode, response.body).toBe(202);
    const batch = response.json();
    expect(batch).toMatchObject({
      status: 'queued',
      counts: { total: 3, queued: 3, running: 0, succeeded: 0, failed: 0, canceled: 0 },
      metadata: { project: 'x' },
    });
    expect(response.headers.location).toBe(`/v1/batches/${batch.id}`);
    expect(
      await app.queues.generation.getJobCountByTypes('waiting', 'prioritized'),
    ).toBeGreaterThanOrEqual(3);
    const page = (await get(`/v1/batches/${batch.id}/jobs`)).json();
    expect(
      page.data.map((j: { request: { aspect_ratio: string } }) => j.request.aspect_ratio),
    ).toEqual(['9:16', '16:9', '9:16']);
    expect(page.data[0].request.num_images).toBe(2);
    expect(page.data[0].batch_id).toBe(batch.id);
  });

  it('accepts NDJSON, one parameters object a line', async () => {
    const body = `${JSON.stringify({ prompt: 'one' })}\n\n${JSON.stringify({ prompt: 'two', seed: 7 })}\n`;
    const response = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      payload: body,
      headers: { ...auth(), 'content-type': 'application/x-ndjson' },
    });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json().counts.total).toBe(2);
  });

  it('refuses the whole batch when one line is bad, naming its index, and queues nothing', async () => {
    const before = await app.queues.generation.count();
    const jobs = Array.from({ length: 50 }, (_, i) => ({ prompt: `p${i}` }));
    jobs[37] = { prompt: 'x', aspect_ratio: '2:1' } as never;
    const response = await post('/v1/batches', { jobs });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().errors[0].path).toBe('/jobs/37/aspect_ratio');
    const ndjson = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      payload: '{"prompt":"ok"}\n{"prompt":"ok",\n',
      headers: { ...auth(), 'content-type': 'application/x-ndjson' },
    });
    expect(ndjson.statusCode).toBe(400);
    expect(ndjson.json().errors[0].path).toBe('/jobs/1');
    const rule = await post('/v1/batches', {
      jobs: [{ prompt: 'a' }, { prompt: 'b', n: 2, num_images: 3 }],
    });
    expect(rule.statusCode).toBe(400);
    expect(rule.json().errors[0].path).toBe('/jobs/1/n');
    expect(await app.queues.generation.count()).toBe(before);
  });

  it('refuses empty batches, more than 10,000 jobs, unknown fields and private webhooks', async () => {
    expect((await post('/v1/batches', { jobs: [] })).statusCode).toBe(400);
    const tooMany = await post('/v1/batches', {
      jobs: Array.from({ length: 10_001 }, () => ({ prompt: 'x' })),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors[0].path).toBe('/jobs');
    const unknown = await post('/v1/batches', { jobs: [{ prompt: 'x' }], colour: 'red' });
    expect(unknown.json().errors[0].path).toBe('/colour');
  });

  it('takes 10,000 jobs in one request', async () => {
    const jobs = Array.from({ length: 10_000 }, (_, i) => ({ prompt: `${'p'.repeat(390)} ${i}` }));
    const response = await post('/v1/batches', { jobs });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(202);
    expect(response.json().counts.total).toBe(10_000);
  });
});

describe('POST /v1/jobs', () => {
  it('resolves defaults after validation, so the `n` alias works alone', async () => {
    const response = await post('/v1/jobs', { prompt: 'alias', n: 3 });
    expect(response.statusCode, response.body).toBe(202);
    expect(response.json().request).toMatchObject({
      num_images: 3,
      aspect_ratio: '1:1',
      enhance_prompt: true,
      person_generation: 'allow_adult',
    });
  });
});

describe('bodies nested too deeply', () => {
  it('are a 400 naming where, not a 500, with or without an Idempotency-Key', async () => {
    const deep = `{"prompt":"x","metadata":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    for (const headers of [{}, { 'idempotency-key': 'deep-1' }]) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: deep,
        headers: { ...auth(), 'content-type': 'application/json', ...headers },
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    const line = `{"prompt":"x","image_size":${'['.repeat(50)}${']'.repeat(50)}}`;
    const ndjson = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      payload: `{"prompt":"fine"}\n${line}\n`,
      headers: { ...auth(), 'content-type': 'application/x-ndjson' },
    });
    expect(ndjson.statusCode).toBe(400);
    expect(ndjson.json().errors[0].path).toBe('/jobs/1');
  });
});

describe('GET /v1/batches/{id}/jobs', () => {
  it('gives back every line as sent: long, non-ASCII and NUL-holding prompts, uneven fields', async () => {
    const jobs = [
      { prompt: `${'ß漢🙂'.repeat(40)} end` },
      { prompt: 'nul \u0000 inside', seed: 3 },
      { prompt: 'x', aspect_ratio: '16:9', seed: 9, enhance_prompt: false },
      { prompt: `${'long ascii '.repeat(30)}` },
    ];
    const batch = (await post('/v1/batches', { jobs })).json();
    const page = (await get(`/v1/batches/${batch.id}/jobs?limit=10`)).json();
    const requests = page.data.map((j: { request: Record<string, unknown> }) => j.request);
    expect(requests.map((r: { prompt: string }) => r.prompt)).toEqual(jobs.map((j) => j.prompt));
    expect(requests[1].seed).toBe(3);
    expect(requests[2]).toMatchObject({ aspect_ratio: '16:9', seed: 9, enhance_prompt: false });
  });

  it('gives back every line of a batch whose records go to Redis in several pieces', async () => {
    // ~90 KB of records: sent to the accept script in pieces of whole jobs (batch-accept.ts).
    const jobs = Array.from({ length: 300 }, (_, i) => ({
      prompt: `line ${i}: ${'a watercolour of a harbour at dusk, '.repeat(8)}`,
      seed: i,
    }));
    const batch = (await post('/v1/batches', { jobs })).json();
    const read: { prompt: string; seed: number }[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = (await get(`/v1/batches/${batch.id}/jobs?limit=100${query}`)).json();
      read.push(...page.data.map((j: { request: { prompt: string; seed: number } }) => j.request));
      cursor = page.next_cursor;
    } while (cursor);
    expect(read.map((r) => [r.prompt, r.seed])).toEqual(jobs.map((j) => [j.prompt, j.seed]));
  });

  it('pages through every job in order, and filters by status', async () => {
    const jobs = Array.from({ length: 25 }, (_, i) => ({ prompt: `page ${i}` }));
    const batch = (await post('/v1/batches', { jobs })).json();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = (await get(`/v1/batches/${batch.id}/jobs?limit=10${query}`)).json();
      expect(page.data.length).toBeLessThanOrEqual(10);
      seen.push(...page.data.map((j: { request: { prompt: string } }) => j.request.prompt));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(jobs.map((j) => j.prompt));

    const ids = (await get(`/v1/batches/${batch.id}/jobs?limit=25`))
      .json()
      .data.map((j: { id: string }) => j.id);
    await post(`/v1/jobs/${ids[3]}/cancel`, undefined);
    await post(`/v1/jobs/${ids[20]}/cancel`, undefined);
    const canceled = (await get(`/v1/batches/${batch.id}/jobs?status=canceled&limit=1`)).json();
    expect(canceled.data.map((j: { id: string }) => j.id)).toEqual([ids[3]]);
    const rest = (
      await get(`/v1/batches/${batch.id}/jobs?status=canceled&cursor=${canceled.next_cursor}`)
    ).json();
    expect(rest.data.map((j: { id: string }) => j.id)).toEqual([ids[20]]);
    expect(rest.next_cursor).toBeNull();
    expect((await get(`/v1/batches/${batch.id}`)).json().counts).toMatchObject({
      queued: 23,
      canceled: 2,
    });
  });
});

describe('cancel and retry', () => {
  it('cancels a queued job (it leaves the queue), refuses a second cancel, and retries it', async () => {
    const job = (await post('/v1/jobs', { prompt: 'cancel me' })).json();
    const canceled = await post(`/v1/jobs/${job.id}/cancel`, undefined);
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ status: 'canceled', error: { code: 'canceled' } });
    expect(await app.queues.generation.getJob(job.id)).toBeUndefined();
    const again = await post(`/v1/jobs/${job.id}/cancel`, undefined);
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');

    const retried = await post(`/v1/jobs/${job.id}/retry`, undefined);
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ status: 'queued', error: null });
    expect(['waiting', 'prioritized']).toContain(
      await (await app.queues.generation.getJob(job.id))?.getState(),
    );
    expect((await post(`/v1/jobs/${job.id}/retry`, undefined)).statusCode).toBe(409);
  });

  it('cancels every unfinished job of a batch; the batch ends canceled; a second cancel is 409', async () => {
    const batch = (await post('/v1/batches', { jobs: [{ prompt: 'a' }, { prompt: 'b' }] })).json();
    const response = await post(`/v1/batches/${batch.id}/cancel`, undefined);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'canceled',
      counts: { canceled: 2, queued: 0 },
    });
    expect((await post(`/v1/batches/${batch.id}/cancel`, undefined)).statusCode).toBe(409);
  });
});

describe('tenants', () => {
  it("answers 404 for another tenant's job and batch, whatever the route", async () => {
    const job = (await post('/v1/jobs', { prompt: 'mine' })).json();
    const batch = (await post('/v1/batches', { jobs: [{ prompt: 'mine' }] })).json();
    for (const url of [
      `/v1/jobs/${job.id}`,
      `/v1/batches/${batch.id}`,
      `/v1/batches/${batch.id}/jobs`,
    ]) {
      expect((await get(url, 'globex')).statusCode).toBe(404);
    }
    for (const url of [
      `/v1/jobs/${job.id}/cancel`,
      `/v1/jobs/${job.id}/retry`,
      `/v1/batches/${batch.id}/cancel`,
    ]) {
      const response = await app.inject({ method: 'POST', url, headers: auth('globex') });
      expect(response.statusCode).toBe(404);
    }
    expect((await get(`/v1/jobs/${job.id}`)).json().status).toBe('queued');
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer, 409s another body, and lets one of two concurrent requests in', async () => {
    const key = { 'idempotency-key': `k-${Date.now()}` };
    const first = await post('/v1/jobs', { prompt: 'once' }, key);
    const replay = await post('/v1/jobs', { prompt: 'once' }, key);
    expect(replay.statusCode).toBe(202);
    expect(replay.json().id).toBe(first.json().id);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await post('/v1/jobs', { prompt: 'twice' }, key);
    expect(other.statusCode).toBe(409);

    // The answer is stored, not re-read: it survives the job leaving BullMQ.
    await app.queues.generation.remove(first.json().id);
    expect((await post('/v1/jobs', { prompt: 'once' }, key)).json().id).toBe(first.json().id);

    const racing = { 'idempotency-key': `race-${Date.now()}` };
    const before = await app.queues.generation.count();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post('/v1/batches', { jobs: [{ prompt: 'race' }] }, racing)),
    );
    const accepted = answers.filter((a) => a.statusCode === 202);
    expect(new Set(accepted.map((a) => a.json().id)).size).toBe(1);
    expect(answers.every((a) => a.statusCode === 202 || a.statusCode === 409)).toBe(true);
    expect(await app.queues.generation.count()).toBe(before + 1);
  });
});

describe('GET /v1/batches/{id} is O(1) in the batch size', () => {
  it('sends the same Redis commands for a 10-job and a 10,000-job batch', async () => {
    const submit = async (n: number) =>
      (
        await post('/v1/batches', {
          jobs: Array.from({ length: n }, (_, i) => ({ prompt: `o${i}` })),
        })
      ).json().id as string;
    const small = await submit(10);
    const large = await submit(10_000);
    // The accept sweeper and the outbox drain share the connection and would add their own
    // commands to either count.
    await app.batchService.close();
    await app.webhookOutbox.stop();
    const redis = app.redis as unknown as { sendCommand: (command: { name: string }) => unknown };
    const original = redis.sendCommand.bind(redis);
    const commands = async (id: string) => {
      const sent: string[] = [];
      redis.sendCommand = (command) => {
        sent.push(command.name);
        return original(command);
      };
      try {
        const response = await get(`/v1/batches/${id}`);
        expect(response.statusCode).toBe(200);
      } finally {
        redis.sendCommand = original;
      }
      return sent;
    };
    const forSmall = await commands(small);
    const forLarge = await commands(large);
    expect(forSmall.length).toBeGreaterThan(0);
    expect(forLarge).toEqual(forSmall);
  });
});

describe('auth', () => {
  it('every /v1 route answers 401 problem+json without a valid key, naming the header', async () => {
    const routes = routeList(app).filter((route) => route.split(' ')[1]!.startsWith('/v1/'));
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const url = path
        .replace(':id', 'job_00000000000000000000000000')
        .replace(':event_id', 'evt_x');
      for (const headers of [{}, { authorization: 'Bearer wrong-key-0000' }]) {
        const response = await app.inject({ method: method as 'GET', url, headers });
        expect(response.statusCode, route).toBe(401);
        expect(response.headers['content-type'], route).toContain('application/problem+json');
        expect(response.headers['www-authenticate']).toBe('Bearer');
        expect(response.json().detail).toContain('Authorization');
      }
    }
    // The same routes by another spelling of their path.
    for (const url of ['/%761/webhooks/secret', '/v1/%6Aobs/job_00000000000000000000000000']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    const absolute = await app.inject({
      method: 'POST',
      url: 'http://elsewhere.example/v1/jobs',
      payload: { prompt: 'no key' },
    });
    expect(absolute.statusCode).toBe(401);
  });
});

describe('closing the API', () => {
  it('ends open SSE streams and waits instead of hanging on them', async () => {
    const own = await build(testPrefix());
    const address = await own.listen({ port: 0, host: '127.0.0.1' });
    const job = (
      await own.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { prompt: 'nobody runs me' },
        headers: auth(),
      })
    ).json();
    const stream = await fetch(`${address}/v1/jobs/${job.id}/events`, { headers: auth() });
    const wait = fetch(`${address}/v1/images/generations`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json', prefer: 'wait=600' },
      body: JSON.stringify({ prompt: 'nobody runs me either' }),
    });
    // The waiting request has been accepted (its job is queued): it is inside the handler, and
    // whether it is already parked on the job's events or about to be, closing must end it.
    await waitUntil(
      async () => {
        const counts = await own.queues.generation.getJobCounts('wait', 'prioritized');
        return (counts.wait ?? 0) + (counts.prioritized ?? 0) === 2;
      },
      20_000,
      'the waiting request to be accepted',
    );
    // Hanging here fails the test by its timeout: close() would wait on those open requests.
    await own.close();
    expect(await stream.text()).toContain('event: status');
    expect((await wait).status).toBe(202);
  });
});
