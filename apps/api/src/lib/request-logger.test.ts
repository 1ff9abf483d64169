import { Writable } from 'node:stream';
import { createLogger } from '@imagen-queue/shared';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { RequestLogger, requestLoggerFactory } from './request-logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const parent = createLogger({ level: 'info', name: 'test', destination });
  let children = 0;
  const child = parent.child.bind(parent);
  // Counts the children made, to see that a request that logs nothing makes none.
  parent.child = ((...args: Parameters<typeof child>) => {
    children += 1;
    return child(...args);
  }) as typeof parent.child;
  return { parent: parent as unknown as FastifyBaseLogger, lines, children: () => children };
}

describe('RequestLogger', () => {
  it('makes no child until a line is written through it', () => {
    const { parent, lines, children } = capture();
    const log = new RequestLogger(parent, { requestId: 'r-1' });
    log.setBindings({ tenant: 'acme' });
    expect(children()).toBe(0);
    expect(lines).toEqual([]);
  });

  it('writes lines with the request id and the tenant bound later, redacted as ever', () => {
    const { parent, lines, children } = capture();
    const log = new RequestLogger(parent, { requestId: 'r-1' });
    log.setBindings({ tenant: 'acme' });
    log.info({ jobId: 'job_1', apiKey: 'top-secret' }, 'job canceled');
    log.warn('second');
    expect(children()).toBe(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      requestId: 'r-1',
      tenant: 'acme',
      jobId: 'job_1',
      apiKey: '[redacted]',
      msg: 'job canceled',
      level: 30,
    });
    expect(lines[1]).toMatchObject({ requestId: 'r-1', tenant: 'acme', msg: 'second', level: 40 });
  });

  it('binds onto the child once it exists', () => {
    const { parent, lines } = capture();
    const log = new RequestLogger(parent, { requestId: 'r-1' });
    log.info('before');
    log.setBindings({ tenant: 'acme' });
    log.info('after');
    expect(lines[0]).not.toHaveProperty('tenant');
    expect(lines[1]).toMatchObject({ requestId: 'r-1', tenant: 'acme', msg: 'after' });
  });

  it('keeps levels: a debug line is not written at info', () => {
    const { parent, lines } = capture();
    const log = new RequestLogger(parent, { requestId: 'r-1' });
    expect(log.level).toBe('info');
    log.debug('hidden');
    expect(lines).toEqual([]);
  });

  it('gives a route with logger options pino’s own child', () => {
    const { parent } = capture();
    expect(requestLoggerFactory(parent, { requestId: 'r-1' }, {})).toBeInstanceOf(RequestLogger);
    expect(
      requestLoggerFactory(parent, { requestId: 'r-1' }, { level: 'warn' }),
    ).not.toBeInstanceOf(RequestLogger);
  });
});
