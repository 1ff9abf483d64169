import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, describe, expect, it } from 'vitest';
import { UrlRedactor, withoutQuery } from './url-redactor.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  spanProcessors: [new UrlRedactor(new SimpleSpanProcessor({ exporter }))],
});
const tracer = provider.getTracer('test');
afterAll(() => provider.shutdown());

const PRESIGNED =
  'http://127.0.0.1:9000/bucket/t/job_1/0.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F2026&X-Amz-Signature=abc123';

describe('UrlRedactor', () => {
  it('leaves no query string in any attribute, event or status of any span', () => {
    const span = tracer.startSpan('GET', {
      attributes: {
        'url.full': PRESIGNED,
        'url.query': 'X-Amz-Signature=abc123',
        'http.target': '/bucket/t/job_1/0.png?X-Amz-Signature=abc123',
        'url.path': '/bucket/t/job_1/0.png',
        'imagen_queue.note': `fetched ${PRESIGNED} once`,
        'server.port': 9000,
      },
    });
    span.recordException(new Error(`fetch ${PRESIGNED} failed`));
    span.setStatus({ code: 2, message: `GET ${PRESIGNED}` });
    span.end();
    const [done] = exporter.getFinishedSpans();
    expect(done!.attributes).toEqual({
      'url.full': 'http://127.0.0.1:9000/bucket/t/job_1/0.png',
      'http.target': '/bucket/t/job_1/0.png',
      'url.path': '/bucket/t/job_1/0.png',
      'imagen_queue.note': 'fetched http://127.0.0.1:9000/bucket/t/job_1/0.png once',
      'server.port': 9000,
    });
    const everything = JSON.stringify([done!.attributes, done!.events, done!.status]);
    expect(everything).not.toMatch(/X-Amz|abc123/);
  });

  it('cuts a webhook token from a URL and leaves text without URLs alone', () => {
    expect(withoutQuery('url.full', 'https://hooks.example.com/in?token=s3cret#x')).toBe(
      'https://hooks.example.com/in',
    );
    expect(withoutQuery('exception.message', 'what? no URL here')).toBe('what? no URL here');
  });
});
