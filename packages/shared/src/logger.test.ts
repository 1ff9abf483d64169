import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { childWithIds, createLogger, scrubSecretQuery } from './logger.ts';

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

describe('childWithIds', () => {
  it("writes the same line as pino's child, and its children's lines too", () => {
    const { log, text } = capture();
    const ids = { jobId: 'job_01abc', tenant: 'acme "quoted" é', requestId: undefined, n: 3 };
    log.child(ids).child({ batchId: 'bat_1' }).info({ images: 1 }, 'job succeeded');
    childWithIds(log, ids).child({ batchId: 'bat_1' }).info({ images: 1 }, 'job succeeded');
    childWithIds(childWithIds(log, ids), { statusCode: null }).warn('again');
    const [pinos, ours, nested] = text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect({ ...ours, time: 0 }).toEqual({ ...pinos, time: 0 });
    expect(Object.keys(ours!)).toEqual(Object.keys(pinos!));
    expect(nested).toMatchObject({ jobId: 'job_01abc', n: 3, statusCode: null, msg: 'again' });
  });

  it('still redacts a field a redact path names, and every line written through it', () => {
    const { log, text } = capture();
    childWithIds(log, { jobId: 'job_1', secret: 'whsec_bound-secret' }).info('one');
    childWithIds(log, { jobId: 'job_2' }).info({ config: { auth: 'line-secret' } }, 'two');
    const out = text();
    expect(out).not.toContain('bound-secret');
    expect(out).not.toContain('line-secret');
    expect(out).toContain('"jobId":"job_2"');
  });
});
