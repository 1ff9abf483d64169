import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_KEY, build, GLOBEX_KEY } from '../support/build-app.ts';
import { testPrefix } from '../support/tracking.ts';

type App = Awaited<ReturnType<typeof build>>;
let app: App;
const KEYS = { acme: ACME_KEY, globex: GLOBEX_KEY };
type Tenant = keyof typeof KEYS;

beforeAll(async () => {
  app = await build(testPrefix());
});
afterAll(async () => {
  await app.close();
});

const post = (url: string, payload: object, tenant: Tenant = 'acme') =>
  app.inject({
    method: 'POST',
    url,
    payload,
    headers: { authorization: `Bearer ${KEYS[tenant]}` },
  });
const get = (url: string, tenant: Tenant = 'acme') =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${KEYS[tenant]}` } });

/** Every item of a list, page by page. */
async function all(path: string, tenant: Tenant = 'acme'): Promise<{ id: string }[]> {
  const items: { id: string }[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const response = await get(`${path}${cursor ? `${separator}cursor=${cursor}` : ''}`, tenant);
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json() as { data: { id: string }[]; next_cursor: string | null };
    items.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

describe('GET /v1/jobs and GET /v1/batches', () => {
  it('list the tenant’s own work, newest first, page by page, and filter by status', async () => {
    const single = (await post('/v1/jobs', { prompt: 'single one' })).json() as { id: string };
    const first = (await post('/v1/batches', { jobs: [{ prompt: 'a' }, { prompt: 'b' }] })).json();
    const second = (await post('/v1/batches', { jobs: [{ prompt: 'c' }] })).json();
    const other = (await post('/v1/batches', { jobs: [{ prompt: 'x' }] }, 'globex')).json();
    await post(`/v1/batches/${first.id}/cancel`, {});

    const batches = await all('/v1/batches?limit=1');
    expect(batches.map((b) => b.id)).toEqual([second.id, first.id]);
    expect((await all('/v1/batches', 'globex')).map((b) => b.id)).toEqual([other.id]);
    expect((await all('/v1/batches?status=canceled')).map((b) => b.id)).toEqual([first.id]);

    const jobs = await all('/v1/jobs?limit=2');
    expect(jobs).toHaveLength(4);
    expect(jobs.at(-1)!.id).toBe(single.id);
    const ids = jobs.map((j) => j.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    const canceled = (await all('/v1/jobs?status=canceled')) as { batch_id?: string }[];
    expect(canceled).toHaveLength(2);
    expect(canceled.every((job) => job.batch_id === first.id)).toBe(true);
  });

  it('drops an entry whose record has expired', async () => {
    const job = (await post('/v1/jobs', { prompt: 'short-lived' })).json() as { id: string };
    await app.redis.del(app.jobStore.keys.job('acme', job.id));
    expect((await all('/v1/jobs')).map((j) => j.id)).not.toContain(job.id);
    const index = await app.redis.zrange(app.jobStore.keys.listIndex('acme', 'jobs'), '0', '-1');
    expect(index).not.toContain(job.id);
  });

  it('name the query field at fault', async () => {
    const response = await get('/v1/jobs?limit=0');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(response.json())).toContain('limit');
    expect((await get('/v1/batches?cursor=nope')).statusCode).toBe(400);
  });
});
