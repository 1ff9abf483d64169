import type { FastifyError, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError, type ProblemField } from '../lib/problem-error.ts';
import { fieldMessage, fieldPath, type ValidationIssue } from '../lib/validation.ts';

// ioredis' ways of saying the server is not there (offline queue disabled for the API).
const REDIS_DOWN =
  /enableOfflineQueue|Connection is closed|ECONNREFUSED|MaxRetriesPerRequest|ETIMEDOUT/;

function send(
  reply: FastifyReply,
  status: number,
  title: string,
  detail: string,
  errors?: ProblemField[],
) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) });
}

/** The one error handler: everything leaves as RFC 9457 problem+json; 5xx internals stay in the log. */
export default fp(
  async (fastify) => {
    fastify.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof ProblemError) {
        reply.headers(error.headers);
        if (error.status >= 500) request.log.error({ err: error }, error.message);
        return reply
          .code(error.status)
          .type('application/problem+json')
          .send({
            type: error.type,
            title: error.title,
            status: error.status,
            detail: error.message,
            ...(error.errors ? { errors: error.errors } : {}),
          });
      }
      if (error.validation) {
        const errors = error.validation.map((issue) => ({
          path: fieldPath(error.validationContext, issue as ValidationIssue),
          message: fieldMessage(issue as ValidationIssue),
        }));
        const fields = errors.map((e) => `${e.path} ${e.message}`).join('; ');
        // A batch line at fault is named first, so the headline says which line it is.
        const line = /^\/jobs\/(\d+)/.exec(errors[0]?.path ?? '')?.[1];
        const detail = line
          ? `job ${line} of the batch is invalid (${fields}); nothing was queued`
          : fields;
        return send(reply, 400, 'Bad Request', detail, errors);
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        return send(
          reply,
          status,
          error.name === 'FastifyError' ? 'Bad Request' : titleFor(status),
          error.message,
        );
      }
      if (REDIS_DOWN.test(`${error.name} ${error.message}`)) {
        request.log.warn({ err: error }, 'redis unavailable');
        reply.header('retry-after', '1');
        return send(
          reply,
          503,
          'Service Unavailable',
          'the job store is unavailable; retry shortly',
        );
      }
      request.log.error({ err: error }, 'unhandled error');
      return send(reply, 500, 'Internal Server Error', 'an internal error occurred');
    });
    fastify.setNotFoundHandler((request, reply) =>
      send(reply, 404, 'Not Found', `no route ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'problems' },
);

function titleFor(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    413: 'Content Too Large',
    415: 'Unsupported Media Type',
    429: 'Too Many Requests',
  };
  return titles[status] ?? 'Client Error';
}
