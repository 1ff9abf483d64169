import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, build, routeList } from '../support/build-app.ts';
import { testPrefix } from '../support/tracking.ts';

interface MediaType {
  schema?: { $ref?: string };
}
interface Operation {
  responses: Record<string, { content?: Record<string, MediaType> }>;
  security?: Record<string, string[]>[];
  tags?: string[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

describe('the OpenAPI document at /openapi.json', () => {
  let app: App;
  let document: Document;

  beforeAll(async () => {
    // With an admin key, so the admin routes exist too.
    app = await build(testPrefix(), { ADMIN_API_KEY: 'admin-openapi-test-key' });
    const response = await app.inject('/openapi.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    document = response.json();
  });
  afterAll(() => app?.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(document) as never);
  });

  // Third-party pages mounted whole: Swagger UI itself, and Bull Board's dashboard and its API.
  const PAGES = /^GET \/(docs|admin\/queues)(\/|$)|^\w+ \/admin\/queues\/api\//;

  it('lists every route the app has, and nothing else (the /docs and /admin/queues pages aside)', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map(
        (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
      ),
    );
    const routes = routeList(app).filter((route) => !PAGES.test(route));
    expect(routes).toContain('POST /v1/jobs');
    expect(documented.sort()).toEqual(routes);
  });

  it('gives every operation a success schema, and every /v1 one its problem+json answers', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        const codes = Object.keys(operation.responses);
        const success = codes.filter((code) => /^2/.test(code));
        expect(success, where).not.toEqual([]);
        for (const code of success) {
          const media = Object.values(operation.responses[code]!.content ?? {});
          expect(media.length, `${where} ${code}`).toBeGreaterThan(0);
          expect(media[0]!.schema, `${where} ${code}`).toBeDefined();
        }
        expect(operation.tags?.length, where).toBeGreaterThan(0);
        if (!path.startsWith('/v1/')) continue;
        expect(operation.security, where).toEqual([{ bearer: [] }]);
        const errors = [401, 429, 503];
        if (path.includes('{')) errors.push(400, 404);
        if (method === 'post') errors.push(400, 413);
        for (const code of errors) {
          const content = operation.responses[code]?.content;
          expect(content?.['application/problem+json']?.schema, `${where} ${code}`).toEqual({
            $ref: '#/components/schemas/Problem',
          });
        }
      }
    }
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Job', 'Batch', 'Problem']),
    );
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  it('names the shared shapes once: a job answer refers to components.schemas.Job', () => {
    const created = document.paths['/v1/jobs']!.post!.responses['202']!;
    expect(created.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/Job',
    });
  });

  it('serves a page to read it at /docs, with its assets from this server (no CDN)', async () => {
    const page = await app.inject('/docs');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source).not.toMatch(/^(https?:)?\/\//);
    const initializer = await app.inject('/docs/static/swagger-initializer.js');
    expect(initializer.statusCode).toBe(200);
    expect(initializer.body).not.toContain('validator.swagger.io');
    const bundle = await app.inject('/docs/static/swagger-ui-bundle.js');
    expect(bundle.statusCode).toBe(200);
  });
});
