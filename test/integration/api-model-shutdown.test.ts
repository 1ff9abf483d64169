import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, AUTH, build } from '../support/build-app.ts';
import { testPrefix } from '../support/tracking.ts';

// Its own file: the shutdown dates are process-wide, as they are in the API and the worker.
let app: App;
beforeAll(async () => {
  app = await build(testPrefix(), { MODEL_SHUTDOWNS: 'imagen-3.0-generate-002=2026-11-10' });
});
afterAll(() => app?.close());

describe('a model past its shutdown date', () => {
  it('refuses new jobs with a 400 naming /model and the successor, the default model too', async () => {
    for (const payload of [{ prompt: 'x' }, { model: 'imagen-3.0-generate-002', prompt: 'x' }]) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload,
        headers: AUTH,
      });
      expect(response.statusCode, response.body).toBe(400);
      const [error] = response.json().errors;
      expect(error.path).toBe('/model');
      expect(error.message).toContain('use google/imagen-4.0-generate-001');
    }
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      payload: { jobs: [{ model: 'google/nano-banana-2', prompt: 'ok' }, { prompt: 'gone' }] },
      headers: AUTH,
    });
    expect(batch.json().errors[0].path).toBe('/jobs/1/model');
  });

  it('shows the date in GET /v1/models; other models still run', async () => {
    const { data } = (await app.inject({ url: '/v1/models', headers: AUTH })).json();
    expect(data[0]).toMatchObject({ id: 'imagen-3.0-generate-002', shutdown_at: '2026-11-10' });
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { model: 'google/imagen-4.0-generate-001', prompt: 'x' },
      headers: AUTH,
    });
    expect(ok.statusCode).toBe(202);
  });
});
