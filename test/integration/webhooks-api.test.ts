import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_KEY, type App, build, GLOBEX_KEY } from '../support/build-app.ts';
import { testPrefix } from '../support/tracking.ts';

// The webhook routes in this process (app.inject), against real Redis.
let app: App;
beforeAll(async () => {
  app = await build(testPrefix());
});
afterAll(() => app?.close());

const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe('webhook routes', () => {
  it('gives each tenant its own secret, and rotation replaces it', async () => {
    const first = await app.inject({ url: '/v1/webhooks/secret', headers: as(ACME_KEY) });
    expect(first.statusCode).toBe(200);
    const key = first.json().key as string;
    expect(key).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const other = await app.inject({ url: '/v1/webhooks/secret', headers: as(GLOBEX_KEY) });
    expect(other.json().key).not.toBe(key);
    const rotated = await app.inject({
      method: 'POST',
      url: '/v1/webhooks/secret/rotate',
      headers: as(ACME_KEY),
    });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().key).not.toBe(key);
    const now = await app.inject({ url: '/v1/webhooks/secret', headers: as(ACME_KEY) });
    expect(now.json().key).toBe(rotated.json().key);
    // Both sign for the overlap, the new one first.
    expect(await app.webhookSecrets.signingKeys('acme')).toEqual([rotated.json().key, key]);
    expect(await app.webhookSecrets.signingKeys('acme', Date.now() + 25 * 60 * 60 * 1000)).toEqual([
      rotated.json().key,
    ]);
  });

  it('shows a job delivery log only to its tenant', async () => {
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: as(ACME_KEY),
      payload: { prompt: 'a kite', webhook_url: 'http://hooks.example.com/in' },
    });
    expect(submitted.statusCode, submitted.body).toBe(202);
    const id = submitted.json().id as string;
    const own = await app.inject({ url: `/v1/jobs/${id}/webhooks`, headers: as(ACME_KEY) });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toEqual({ data: [], next_cursor: null });
    const other = await app.inject({ url: `/v1/jobs/${id}/webhooks`, headers: as(GLOBEX_KEY) });
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-type']).toContain('application/problem+json');
  });

  it('answers 404 for an unknown event and 400 for a malformed id', async () => {
    const unknown = await app.inject({
      method: 'POST',
      url: `/v1/webhooks/evt_job_${'0'.repeat(26)}_1/redeliver`,
      headers: as(ACME_KEY),
    });
    expect(unknown.statusCode).toBe(404);
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/webhooks/secret/redeliver',
      headers: as(ACME_KEY),
    });
    expect(bad.statusCode).toBe(400);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://2130706433/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'ftp://hooks.example.com/in',
    'https://user:pw@hooks.example.com/in',
  ])('refuses webhook_url %s at submit, for jobs and batches', async (url) => {
    const job = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: as(ACME_KEY),
      payload: { prompt: 'a kite', webhook_url: url },
    });
    expect(job.statusCode).toBe(400);
    expect(job.json().errors[0].path).toBe('/webhook_url');
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: as(ACME_KEY),
      payload: { jobs: [{ prompt: 'a kite' }], webhook_url: url },
    });
    expect(batch.statusCode).toBe(400);
  });

  it('documents every webhook route in the OpenAPI document', async () => {
    const document = (await app.inject('/openapi.json')).json();
    await SwaggerParser.validate(structuredClone(document));
    for (const [path, method] of [
      ['/v1/webhooks/secret', 'get'],
      ['/v1/webhooks/secret/rotate', 'post'],
      ['/v1/jobs/{id}/webhooks', 'get'],
      ['/v1/batches/{id}/webhooks', 'get'],
      ['/v1/webhooks/{event_id}/redeliver', 'post'],
    ] as const) {
      expect(document.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });
});
