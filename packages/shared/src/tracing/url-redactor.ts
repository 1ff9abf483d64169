import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

type Attributes = Record<string, unknown>;

/** Attributes whose whole value is a query string (undici's `url.query`, older `http.query`). */
const QUERY_KEY = /(^|\.)query$/;
/** Attributes holding a path or URL that may end in a query (`url.full`, `http.target`…). */
const URL_KEY = /(^|\.)(url|uri|target|path|full|href)(\.|$)/i;
/** An absolute URL with a query or fragment, wherever it appears in a string value. */
const URL_WITH_QUERY = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi;

/** `value` without the query string (or fragment) of any URL in it. */
export function withoutQuery(key: string, value: string): string {
  const cut = value.replace(URL_WITH_QUERY, '$1');
  if (URL_KEY.test(key)) return cut.split(/[?#]/, 1)[0]!;
  return cut;
}

function redact(attributes: Attributes): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (QUERY_KEY.test(key)) {
      delete attributes[key];
    } else if (typeof value === 'string') {
      attributes[key] = withoutQuery(key, value);
    } else if (Array.isArray(value)) {
      attributes[key] = value.map((item) =>
        typeof item === 'string' ? withoutQuery(key, item) : item,
      );
    }
  }
}

/**
 * Cuts every query string out of a span before it leaves the process: presigned S3 URLs carry
 * their signature and credential there, and webhook URLs may carry a token. undici's
 * instrumentation records `url.query` on its own, and any instrumentation or exception message
 * may hold a URL, so this runs on every span (its attributes, its events' attributes, its
 * status message), not in one instrumentation's hook.
 */
export class UrlRedactor implements SpanProcessor {
  readonly #next: SpanProcessor;

  constructor(next: SpanProcessor) {
    this.#next = next;
  }

  onStart(span: Span, parentContext: Context): void {
    this.#next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    // Ended spans are read-only through the API; their attribute bags are plain objects.
    redact(span.attributes as Attributes);
    for (const event of span.events) if (event.attributes) redact(event.attributes as Attributes);
    if (span.status.message) {
      (span.status as { message?: string }).message = withoutQuery('', span.status.message);
    }
    this.#next.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#next.shutdown();
  }
}
