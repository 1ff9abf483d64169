import { type Context, trace } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { SpanAttributes } from './tracing.ts';

/**
 * Puts a job's id on every span of its trace, including spans made by instrumentations that
 * know nothing of jobs (Fastify's hooks, BullMQ's, undici's). A trace is held back until its
 * local root span (the request, or BullMQ's `process`) ends, since the job is often known
 * only after the first spans ended; then each span is stamped and passed on.
 */
const REMEMBERED_TRACES = 10_000;

export class JobStamper implements SpanProcessor {
  readonly #next: SpanProcessor;
  readonly #jobs = new Map<string, SpanAttributes>();
  /** Open local roots per trace, and the spans of those traces waiting for them. */
  readonly #roots = new Map<string, string>();
  readonly #open = new Map<string, number>();
  readonly #held = new Map<string, ReadableSpan[]>();

  constructor(next: SpanProcessor) {
    this.#next = next;
  }

  /**
   * Kept past the root's end (bounded), for spans that end later still: Fastify's
   * `onResponse` hooks, say, run after the request span ended.
   */
  tag(traceId: string, attributes: SpanAttributes): void {
    const known = this.#jobs.get(traceId);
    this.#jobs.delete(traceId);
    this.#jobs.set(traceId, { ...known, ...attributes });
    if (this.#jobs.size > REMEMBERED_TRACES) this.#jobs.delete(this.#jobs.keys().next().value!);
  }

  onStart(span: Span, parentContext: Context): void {
    const { traceId, spanId } = span.spanContext();
    const known = this.#jobs.get(traceId);
    if (known) span.setAttributes(known);
    const parent = trace.getSpanContext(parentContext);
    if (!parent || parent.isRemote) {
      this.#roots.set(spanId, traceId);
      this.#open.set(traceId, (this.#open.get(traceId) ?? 0) + 1);
    }
    this.#next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const { traceId, spanId } = span.spanContext();
    if (this.#roots.delete(spanId)) this.#open.set(traceId, (this.#open.get(traceId) ?? 1) - 1);
    const open = this.#open.get(traceId) ?? 0;
    const held = this.#held.get(traceId) ?? [];
    held.push(span);
    if (open > 0) {
      this.#held.set(traceId, held);
      return;
    }
    const attributes = this.#jobs.get(traceId);
    for (const done of held) {
      if (attributes) {
        // Ended spans are read-only through the API; their attribute bag is a plain object.
        Object.assign(done.attributes as Record<string, unknown>, withoutUndefined(attributes));
      }
      this.#next.onEnd(done);
    }
    this.#held.delete(traceId);
    this.#open.delete(traceId);
  }

  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#next.shutdown();
  }
}

function withoutUndefined(attributes: SpanAttributes): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(attributes).filter(([, v]) => v !== undefined),
  ) as Record<string, string | number | boolean>;
}
