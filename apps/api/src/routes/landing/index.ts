import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

const { version } = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string };

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(adminEnabled: boolean): string {
  const links = [
    ['/console', 'Console', 'submit batches, watch them, look at the images'],
    ['/docs', 'API reference', 'the OpenAPI document, readable (raw: /openapi.json)'],
    [
      '/admin/queues',
      'Queues (Bull Board)',
      adminEnabled ? 'operators: needs the admin key' : 'off: no ADMIN_API_KEY is set',
    ],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>imagen-queue</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:640px;margin:40px auto;padding:0 16px;color-scheme:light dark}li{margin:8px 0}small{opacity:.75}</style>
</head><body>
<h1>imagen-queue <small>${escapeHtml(version)}</small></h1>
<p>A job queue for generating images in bulk.</p>
<ul>
${links.map(([href, name, note]) => `<li><a href="${href}">${escapeHtml(name!)}</a> <small>${escapeHtml(note!)}</small></li>`).join('\n')}
</ul>
</body></html>
`;
}

/** `/`: where a person who opens the API's URL finds the console, the docs and the queues. */
const landing: FastifyPluginAsyncTypebox = async (fastify) => {
  const html = page(fastify.config.auth.adminKey !== null);
  fastify.get(
    '/',
    {
      schema: {
        summary: 'This landing page: the version and links to the console, docs and queues',
        response: {
          200: { description: 'HTML', content: { 'text/html': { schema: Type.String() } } },
        },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(html),
  );
};

export default landing;
