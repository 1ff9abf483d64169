import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { setShutdownDates } from '@imagen-queue/contract';
import type { Config, Logger, Tracing } from '@imagen-queue/shared';
import Fastify, { type FastifyPluginAsync, LogController } from 'fastify';
import fp from 'fastify-plugin';
import { clientErrorHandler, frameworkErrors } from './lib/framework-errors.ts';
import { exceedsDepth, tooDeep } from './lib/json-depth.ts';
import { requestLoggerFactory } from './lib/request-logger.ts';
import { createValidatorCompiler } from './lib/validation.ts';
import auth from './plugins/auth.ts';
import configPlugin from './plugins/config.ts';
import listIndex from './plugins/list-index.ts';
import metrics from './plugins/metrics.ts';
import problems from './plugins/problems.ts';
import queues from './plugins/queues.ts';
import rateLimit from './plugins/rate-limit.ts';
import redis from './plugins/redis.ts';
import services from './plugins/services.ts';
import storage from './plugins/storage.ts';
import swagger from './plugins/swagger.ts';
import tracingPlugin from './plugins/tracing.ts';
import webhooksPlugin from './plugins/webhooks.ts';
import admin from './routes/admin/index.ts';
import batches from './routes/batches/index.ts';
import consolePages from './routes/console/index.ts';
import events from './routes/events/index.ts';
import health from './routes/health/index.ts';
import images from './routes/images/index.ts';
import jobs from './routes/jobs/index.ts';
import landing from './routes/landing/index.ts';
import lists from './routes/lists/index.ts';
import models from './routes/models/index.ts';
import usage from './routes/usage/index.ts';
import webhooks from './routes/webhooks/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** What a route made (`jobId`, …), carried by the request's one log line. */
    logFields: Record<string, string> | null;
  }
}

/** The whole API as one Fastify plugin: external clients first, then one module per resource. */
export const app: FastifyPluginAsync<{ config: Config; tracing?: Tracing }> = async (
  fastify,
  { config, tracing },
) => {
  // First, so that its instrumentation sees every route and hook.
  await fastify.register(tracingPlugin, { ...(tracing ? { tracing } : {}) });
  await fastify.register(configPlugin, { config });
  await fastify.register(problems);
  // Before any route (metrics has one), so the OpenAPI document sees every one of them.
  await fastify.register(swagger);
  await fastify.register(redis);
  await fastify.register(storage);
  await fastify.register(queues);
  await fastify.register(listIndex);
  await fastify.register(webhooksPlugin);
  await fastify.register(metrics);
  await fastify.register(services);
  await fastify.register(auth);
  await fastify.register(rateLimit);
  await fastify.register(health);
  await fastify.register(jobs);
  await fastify.register(batches);
  await fastify.register(lists);
  await fastify.register(events);
  await fastify.register(images);
  await fastify.register(models);
  await fastify.register(webhooks);
  await fastify.register(usage);
  await fastify.register(admin, { prefix: '/admin' });
  await fastify.register(landing);
  await fastify.register(consolePages);
};

/** A ready-to-listen (or `inject`) Fastify instance. */
export async function buildApp(
  config: Config,
  logger: Logger,
  options: { tracing?: Tracing } = {},
) {
  setShutdownDates(config.imagen.modelShutdowns);
  const fastify = Fastify({
    loggerInstance: logger,
    // A 10,000-job batch of 400-char prompts fits in well under this.
    bodyLimit: 16 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    // The same field name the worker's job logs use, so one grep follows a request end to end.
    // One line per request (below) instead of Fastify's two, carrying the tenant once known.
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: true,
    }),
    genReqId: () => crypto.randomUUID(),
    // `request.log` becomes pino's child only if the request logs through it (most do not).
    childLoggerFactory: requestLoggerFactory,
    ajv: { customOptions: { removeAdditional: false } },
    // Errors raised before routing are problems too (see framework-errors.ts).
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  fastify.setValidatorCompiler(createValidatorCompiler());
  // `curl -X POST -H 'Content-Type: application/json' …/cancel` sends no body: that is no body,
  // not a 400. Anything else goes to Fastify's own (prototype-poisoning-safe) JSON parser.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === ''
      ? done(null, undefined)
      : parseJson(request, body as string, (error, parsed) =>
          error ? done(error) : exceedsDepth(parsed) ? done(tooDeep()) : done(null, parsed),
        ),
  );
  fastify.decorateRequest('logFields', null);
  // The request line's fields are ours and none is a redacted path, so pino's redaction (most
  // of a line's cost: it walks every path for every line) has nothing to do on it: it is written
  // without, with the request's bindings given as fields. Every other line is redacted as ever.
  const requestLines = logger.child({}, { redact: [] });
  fastify.addHook('onResponse', (request, reply, done) => {
    requestLines.info(
      {
        requestId: request.id,
        ...(request.tenant ? { tenant: request.tenant } : {}),
        ...request.logFields,
        method: request.method,
        // The path only: a query string may carry a webhook URL with a token in it.
        url: request.url.split('?')[0],
        statusCode: reply.statusCode,
        responseTime: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
    done();
  });
  // Not encapsulated, so the instance exposes its clients (tests and `server.ts` use them).
  await fastify.register(fp(app, { name: 'app' }), { config, ...options });
  return fastify;
}
