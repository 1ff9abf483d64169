import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { BullMQOtel } from 'bullmq-otel';
import type { TracingConfig } from './config.ts';
import { JobStamper } from './job-stamper.ts';
import {
  BATCH_ID_ATTRIBUTE,
  JOB_ID_ATTRIBUTE,
  type SpanAttributes,
  type Tracing,
} from './tracing.ts';
import { UrlRedactor } from './url-redactor.ts';

/**
 * A worker's BullMQ polls and timers (a `getNextJob` span every blocking poll, stalled-job
 * checks) would be most of its traces, and none of them is a job's: not recorded when they
 * start a trace. Within a job's trace (a parent is set) everything is kept.
 */
const HOUSEKEEPING =
  /^(getNextJob|moveStalledJobsToWait|startStalledCheckTimer|rateLimit|pause|resume|close|drain|trimEvents|promoteJobs) /;

function withoutHousekeeping(inner: Sampler): Sampler {
  return {
    shouldSample(parentContext, traceId, spanName, spanKind, attributes, links) {
      if (!trace.getSpanContext(parentContext) && HOUSEKEEPING.test(spanName)) {
        return { decision: SamplingDecision.NOT_RECORD };
      }
      return inner.shouldSample(parentContext, traceId, spanName, spanKind, attributes, links);
    },
    toString: () => `WithoutHousekeeping{${inner}}`,
  };
}

function sampler({ name, ratio }: TracingConfig['sampler']): Sampler {
  const root = name.endsWith('always_off')
    ? new AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new TraceIdRatioBasedSampler(ratio)
      : new AlwaysOnSampler();
  return withoutHousekeeping(
    name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root,
  );
}

async function exporter(config: TracingConfig): Promise<SpanExporter> {
  const options = { url: config.url, headers: config.headers };
  if (config.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter(options);
}

const clean = (attributes: SpanAttributes) =>
  Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number | boolean
  >;

/** The SDK, wired by hand from our configuration (no SDK reads of the environment). */
export async function startTracing(
  config: TracingConfig,
  defaultService: string,
): Promise<Tracing> {
  // Every span passes the redactor on its way out, whichever instrumentation made it.
  const stamper = new JobStamper(
    new UrlRedactor(
      new BatchSpanProcessor({
        exporter: await exporter(config),
        scheduledDelayMillis: config.scheduleDelayMs,
      }),
    ),
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      'service.name': config.serviceName ?? defaultService,
    }),
    sampler: sampler(config.sampler),
    spanProcessors: [stamper],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  // undici's diagnostics channels: the provider calls and webhook deliveries (fetch and undici
  // alike), without patching modules. Headers are not recorded (they carry keys and signatures).
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // It records `url.full` and `url.query` itself: `UrlRedactor` cuts the query from both.
      new UndiciInstrumentation(),
    ],
  });
  const tracer = provider.getTracer('imagen-queue');

  return {
    enabled: true,
    bullmq: new BullMQOtel({ tracerName: 'bullmq' }),
    async span(name, attributes, fn) {
      return tracer.startActiveSpan(name, { attributes: clean(attributes) }, async (span) => {
        try {
          return await fn((more) => span.setAttributes(clean(more)));
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      });
    },
    pastSpan(name, startMs, attributes) {
      tracer.startSpan(name, { startTime: startMs, attributes: clean(attributes) }).end();
    },
    tagTrace(jobId, batchId) {
      const active = trace.getActiveSpan();
      if (!active) return;
      const attributes = {
        [JOB_ID_ATTRIBUTE]: jobId ?? undefined,
        [BATCH_ID_ATTRIBUTE]: batchId ?? undefined,
      };
      stamper.tag(active.spanContext().traceId, attributes);
      active.setAttributes(clean(attributes));
    },
    startJobTraces(jobIds, batchId) {
      const submit = trace.getActiveSpan()?.spanContext();
      const spans = jobIds.map((jobId) =>
        tracer.startSpan('enqueue generate-images', {
          root: true,
          kind: SpanKind.PRODUCER,
          links: submit ? [{ context: submit }] : [],
          attributes: { [JOB_ID_ATTRIBUTE]: jobId, [BATCH_ID_ATTRIBUTE]: batchId },
        }),
      );
      const metadata = spans.map((span) => {
        const carrier: Record<string, string> = {};
        propagation.inject(trace.setSpan(context.active(), span), carrier);
        return JSON.stringify(carrier);
      });
      return {
        metadata,
        end: () => {
          for (const span of spans) span.end();
        },
      };
    },
    logIds() {
      const active = trace.getActiveSpan()?.spanContext();
      return active ? { trace_id: active.traceId, span_id: active.spanId } : {};
    },
    async shutdown() {
      await provider.shutdown();
    },
  };
}
