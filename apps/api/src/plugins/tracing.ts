import { noTracing, type Tracing } from '@imagen-queue/shared';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** OpenTelemetry when `OTEL_*` asks for it, else a no-op (`noTracing`). */
    tracing: Tracing;
  }
}

/** Probes and scrapes would be most of the traces, and none of them is a job's. */
const UNTRACED = /^\/(healthz|readyz|metrics|console|docs)(\/|$)/;

/**
 * Decorates the instance with the process's tracing and, when it is on, registers Fastify's
 * own instrumentation (`@fastify/otel`: a span per request, hook and handler, continuing a
 * `traceparent` header). Loaded on demand: with tracing off, no OpenTelemetry module loads.
 */
export default fp<{ tracing?: Tracing }>(
  async (fastify, options) => {
    const tracing = options.tracing ?? noTracing;
    fastify.decorate('tracing', tracing);
    if (!tracing.enabled) return;
    const { FastifyOtelInstrumentation } = await import('@fastify/otel');
    const instrumentation = new FastifyOtelInstrumentation({
      ignorePaths: (route: { url: string }) => UNTRACED.test(route.url),
    });
    await fastify.register(instrumentation.plugin());
  },
  { name: 'tracing' },
);
