import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Batch, Job, PROBLEM_MEDIA_TYPE, Problem } from '@imagen-queue/contract';
import type { FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid; `errors` names each field at fault',
  401: 'No valid `Authorization: Bearer <key>` header',
  404: 'No such resource for this tenant',
  409: 'The resource is not in a state that allows this, or the `Idempotency-Key` was used with another body',
  413: 'The body is larger than the limit (16 MiB)',
  415: 'The body has a media type this route does not take',
  429: 'The tenant made too many requests this minute; see `Retry-After` and `RateLimit-*`',
  503: 'Redis is unavailable; retry shortly (see `Retry-After`)',
};

/** One problem+json response, as a route declares it in `schema.response`. */
export function problemResponse(status: number) {
  return {
    description: ERROR_DESCRIPTIONS[status] ?? 'A problem',
    content: { [PROBLEM_MEDIA_TYPE]: { schema: Problem } },
  };
}

/** `problemResponses(404, 409)` → `{ 404: …, 409: … }`, to spread into a route's `response`. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)]));
}

const TAGS = [
  { name: 'jobs', description: 'One image-generation job' },
  { name: 'batches', description: 'Many jobs submitted and tracked together' },
  { name: 'images', description: 'Drop-in for the seed API' },
  { name: 'models', description: 'The models a job may ask for, and their parameters' },
  { name: 'webhooks', description: 'The signing secret of the signed events' },
  { name: 'admin', description: 'Operators only (`ADMIN_API_KEY`)' },
  { name: 'health', description: 'Liveness, readiness, metrics and this document' },
];

function tagFor(url: string): string {
  const resource = /^\/(?:v1\/)?([a-z]+)/.exec(url)?.[1] ?? '';
  return TAGS.some((tag) => tag.name === resource) ? resource : 'health';
}

/**
 * The error answers every route can give, derived from its shape so a new route is documented
 * without repeating them: a route lists only what is particular to it (a 409, say).
 */
function errorStatuses(route: RouteOptions, schema: FastifySchema): number[] {
  const statuses = new Set<number>();
  const method = [route.method].flat().join();
  const takesBody = /POST|PUT|PATCH/.test(method);
  if (takesBody || schema.params || schema.querystring || schema.headers) statuses.add(400);
  if (route.url.startsWith('/v1/')) {
    statuses.add(401).add(429).add(503);
    if (route.url.includes('/:')) statuses.add(404);
  }
  if (takesBody) statuses.add(413).add(415);
  // A replayed `Idempotency-Key` with another body; an action (cancel, retry) in the wrong state.
  const headers = schema.headers as { properties?: Record<string, unknown> } | undefined;
  const action = takesBody && route.url.startsWith('/v1/') && route.url.includes('/:');
  if (headers?.properties?.['idempotency-key'] || action) statuses.add(409);
  return [...statuses];
}

function documentRoute(route: RouteOptions): void {
  const schema: FastifySchema = route.schema ?? {};
  if (schema.hide || route.url.startsWith('/docs')) return;
  const response = {
    ...problemResponses(...errorStatuses(route, schema)),
    ...(schema.response as Record<string, unknown> | undefined),
  };
  const admin = route.url.startsWith('/admin');
  route.schema = {
    ...schema,
    tags: schema.tags ?? [tagFor(route.url)],
    response,
    ...(route.url.startsWith('/v1/') || admin
      ? { security: schema.security ?? [admin ? { admin: [] } : { bearer: [] }] }
      : {}),
  };
}

interface Document {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}
interface Operation {
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/**
 * @fastify/swagger turns a nested `$id` schema into a `$ref` but copies a route's top-level one
 * whole; point those at `components.schemas` too, so clients get one named type per shape.
 */
function referenceNamedSchemas<T>(document: T): T {
  const doc = document as Document;
  const named = new Map(
    Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => [
      JSON.stringify(schema),
      { $ref: `#/components/schemas/${name}` },
    ]),
  );
  for (const operation of Object.values(doc.paths ?? {}).flatMap((path) => Object.values(path))) {
    const bodies = [operation.requestBody, ...Object.values(operation.responses ?? {})];
    for (const media of bodies.flatMap((body) => Object.values(body?.content ?? {}))) {
      const ref = named.get(JSON.stringify(media.schema));
      if (ref) media.schema = ref;
    }
  }
  return document;
}

/**
 * The OpenAPI 3.1 document, made from the route schemas (`GET /openapi.json`), and a page to read
 * it (`GET /docs`, assets served from this process). Registered before the routes, so it sees
 * every one of them.
 */
export default fp(
  async (fastify) => {
    fastify.addHook('onRoute', documentRoute);
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'imagen-queue',
          version: '1.0.0',
          description:
            'A job queue for generating images in bulk with Imagen. Errors are RFC 9457 problem ' +
            'details (`application/problem+json`). Every `/v1` route is limited per tenant ' +
            '(`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`).\n\n' +
            '[API home](/): the console (`/console`), the queues (`/admin/queues`) and this ' +
            'reference, linked from one page.',
        },
        servers: [{ url: '/', description: 'This server' }],
        tags: TAGS,
        components: {
          schemas: { Job, Batch, Problem },
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description: 'An API key from `API_KEYS`; the key names the tenant',
            },
            admin: { type: 'http', scheme: 'bearer', description: 'The `ADMIN_API_KEY`' },
          },
        },
      },
      transformObject: (document) =>
        'openapiObject' in document
          ? referenceNamedSchemas(document.openapiObject)
          : document.swaggerObject,
      // Name the schemas that carry an `$id` (Job, Batch, Problem…) after it in `components`.
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
    });
    await fastify.register(swaggerUi, {
      routePrefix: '/docs',
      // No call to validator.swagger.io: the page works offline.
      uiConfig: { validatorUrl: null, deepLinking: true },
    });
    fastify.get(
      '/openapi.json',
      {
        schema: {
          tags: ['health'],
          summary: 'This OpenAPI document',
          response: {
            200: {
              description: 'The OpenAPI 3.1 document',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
      // Sent as text: the document is already JSON, and a response schema would trim it.
      async (_request, reply) =>
        reply.type('application/json').send(JSON.stringify(fastify.swagger())),
    );
  },
  { name: 'swagger', dependencies: ['problems'] },
);
