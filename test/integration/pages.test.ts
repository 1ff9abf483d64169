import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, build } from '../support/build-app.ts';
import { testPrefix } from '../support/tracking.ts';

const { version } = JSON.parse(
  readFileSync(new URL('../../apps/api/package.json', import.meta.url), 'utf8'),
) as { version: string };

describe('the landing page and the console’s files', () => {
  let app: App;
  beforeAll(async () => {
    app = await build(testPrefix(), { ADMIN_API_KEY: 'admin-pages-test-key-1' });
  });
  afterAll(() => app?.close());

  it('/ shows the version and links the console, the docs and the queues', async () => {
    const response = await app.inject('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain(version);
    for (const href of ['/console', '/docs', '/admin/queues']) {
      expect(response.body).toContain(`href="${href}"`);
    }
  });

  it('/console is served with a policy that allows no inline or foreign script', async () => {
    const response = await app.inject('/console');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.body).toContain('/console/assets/main.js');
    const script = await app.inject('/console/assets/main.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('/console and the API reference link back to /', async () => {
    expect((await app.inject('/console')).body).toContain('href="/"');
    // Swagger UI renders the document's description (Markdown) at the top of `/docs`.
    const document = (await app.inject('/openapi.json')).json() as {
      info: { description: string };
    };
    expect(document.info.description).toContain('](/)');
  });

  it('serves nothing but its own files', async () => {
    expect((await app.inject('/console/assets/missing.js')).statusCode).toBe(404);
    expect((await app.inject('/console/assets/..%2Fapp.ts')).statusCode).toBe(400);
    expect((await app.inject('/console/assets/index.html')).statusCode).toBe(400);
  });
});
