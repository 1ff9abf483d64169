import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { notFound } from '../../lib/problem-error.ts';

const ASSETS = new URL('./assets/', import.meta.url);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Scripts and styles only from here, calls only to this API; images are presigned S3 URLs on
 * another origin. No inline script: a prompt rendered into the page cannot run.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  'img-src * data: blob:',
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Read once at start: a handful of small files, no build step, nothing from a CDN. */
function loadAssets(): Map<string, { body: string; type: string }> {
  const assets = new Map<string, { body: string; type: string }>();
  for (const name of readdirSync(ASSETS)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: readFileSync(new URL(name, ASSETS), 'utf8'), type });
  }
  return assets;
}

const HtmlPage = {
  200: { description: 'An HTML page', content: { 'text/html': { schema: Type.String() } } },
};

/** The web console at `/console`: static files; every call it makes carries the tenant's key. */
const consolePages: FastifyPluginAsyncTypebox = async (fastify) => {
  const assets = loadAssets();
  const send = (name: string) => {
    const asset = assets.get(name);
    if (!asset) throw notFound('file');
    return asset;
  };

  fastify.get(
    '/console',
    { schema: { summary: 'The web console', response: HtmlPage } },
    async (_request, reply) => {
      const page = send('index.html');
      return reply
        .type(page.type)
        .header('content-security-policy', CSP)
        .header('cache-control', 'no-cache')
        .send(page.body);
    },
  );

  fastify.get(
    '/console/assets/:file',
    {
      schema: {
        summary: "The console's scripts and styles",
        params: Type.Object({ file: Type.String({ pattern: '^[a-z-]+\\.(js|css)$' }) }),
        response: {
          200: {
            description: 'A script or style sheet',
            content: { 'text/javascript': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const asset = send(request.params.file);
      return reply
        .type(asset.type)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .send(asset.body);
    },
  );
};

export default consolePages;
