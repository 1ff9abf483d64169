import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecretQuery } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: 'info', name: 'test', destination });
  return { log, text: () => lines.join('') };
}

const PRESIGNED =
  'http://127.0.0.1:9000/b/acme/single/job_1/0.png?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIDSECRET%2F20261123%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20261123T000000Z&X-Amz-Expires=3600' +
  '&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

describe('createLogger redaction', () => {
  it('blanks credentials in headers, config and webhook fields', () => {
    const { log, text } = capture();
    log.info(
      {
        req: { headers: { authorization: 'Bearer tenant-secret-1', cookie: 'sid=cookie-secret' } },
        apiKey: 'top-level-secret',
        config: { imagen: { apiKey: 'provider-secret' }, auth: { adminKey: 'admin-secret' } },
        webhook: { secret: 'whsec_webhook-secret' },
      },
      'hello',
    );
    const out = text();
    for (const secret of [
      'tenant-secret-1',
      'cookie-secret',
      'top-level-secret',
      'provider-secret',
      'admin-secret',
      'webhook-secret',
    ])
      expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('removes presigned signatures wherever the URL appears: field, message, error', () => {
    const { log, text } = capture();
    log
      .child({ requestId: 'r1' })
      .info({ url: PRESIGNED, images: [{ url: PRESIGNED }] }, PRESIGNED);
    log.error({ err: new Error(`GET ${PRESIGNED} failed`) }, 'download failed');
    const out = text();
    expect(out).not.toContain('0f1e2d3c4b5a');
    expect(out).not.toContain('AKIDSECRET');
    expect(out).toContain('X-Amz-Signature=[redacted]');
    expect(out).toContain('"requestId":"r1"');
    // Still valid JSON lines: the scrub keeps the quoting intact.
    for (const line of out.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("scrubs a provider's key= query parameter", () => {
    expect(scrubSecretQuery('https://p.example/v1/models?alt=json&key=AIzaSecret')).toBe(
      'https://p.example/v1/models?alt=json&key=[redacted]',
    );
  });
});
