import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { exceedsDepth, tooDeep } from './json-depth.ts';
import { badRequest, ProblemError } from './problem-error.ts';

/**
 * `application/x-ndjson` batch bodies, one parameters object a line, parsed as the bytes
 * arrive (the body is never held whole as text) and handed to the route as `{ jobs }`, so the
 * same schema validates both forms. A line that is not a JSON object is a 400 naming its index.
 */
export function registerNdjsonParser(fastify: FastifyInstance, maxJobs: number): void {
  fastify.addContentTypeParser(
    'application/x-ndjson',
    async (request: FastifyRequest, payload: IncomingMessage) => {
      const jobs: unknown[] = [];
      let pending = '';
      let bytes = 0;
      const take = (line: string) => {
        if (line.trim() === '') return;
        const index = jobs.length;
        if (index >= maxJobs) {
          throw badRequest(`a batch has at most ${maxJobs} jobs`, [
            { path: '/jobs', message: `must have at most ${maxJobs} lines` },
          ]);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          throw badRequest(`line ${index} is not JSON`, [
            { path: `/jobs/${index}`, message: 'is not a JSON object' },
          ]);
        }
        if (exceedsDepth(parsed)) throw tooDeep(`/jobs/${index}`);
        jobs.push(parsed);
      };
      payload.setEncoding('utf8');
      for await (const chunk of payload as AsyncIterable<string>) {
        bytes += Buffer.byteLength(chunk);
        if (bytes > fastify.initialConfig.bodyLimit!) {
          throw new ProblemError(413, 'Content Too Large', 'the request body is too large');
        }
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) take(line);
      }
      take(pending);
      const query = new URLSearchParams(request.url.split('?')[1] ?? '');
      const webhookUrl = query.get('webhook_url');
      return { jobs, ...(webhookUrl ? { webhook_url: webhookUrl } : {}) };
    },
  );
}
