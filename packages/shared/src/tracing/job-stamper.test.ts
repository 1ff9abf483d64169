import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, describe, expect, it } from 'vitest';
import { JobStamper } from './job-stamper.ts';

const exporter = new InMemorySpanExporter();
const stamper = new JobStamper(new SimpleSpanProcessor({ exporter }));
const provider = new TracerProvider({ spanProcessors: [stamper] });
const manager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(manager);
const tracer = provider.getTracer('test');

afterAll(async () => {
  await provider.shutdown();
  manager.disable();
  context.disable();
});

describe('JobStamper', () => {
  it('holds a trace until its root ends, then gives every span the job id, earlier ones too', () => {
    const root = tracer.startSpan('request');
    const rootContext = trace.setSpan(context.active(), root);
    tracer.startSpan('onRequest hook', {}, rootContext).end();
    expect(exporter.getFinishedSpans()).toEqual([]);
    stamper.tag(root.spanContext().traceId, { 'imagen_queue.job_id': 'job_1' });
    tracer.startSpan('addBulk', {}, rootContext).end();
    root.end();
    // Ends after the root (Fastify's onResponse hooks do): stamped all the same.
    tracer.startSpan('onResponse hook', {}, rootContext).end();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual([
      'onRequest hook',
      'addBulk',
      'request',
      'onResponse hook',
    ]);
    for (const span of spans) expect(span.attributes['imagen_queue.job_id']).toBe('job_1');
  });

  it('passes on a trace no job claimed, unchanged', () => {
    exporter.reset();
    tracer.startSpan('getNextJob').end();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('getNextJob');
    expect(span?.attributes['imagen_queue.job_id']).toBeUndefined();
  });
});
