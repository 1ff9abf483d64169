import { freePort } from '@imagen-queue/dev-stack';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';

// An operator's keys would land in every log that collects `pnpm start`'s output.
describe('pnpm start, given the operator API_KEYS', () => {
  it('shows each key only as its tenant and a short fingerprint', async () => {
    const secret = 'sk_live_9f8e7d6c5b4a39281706cdef';
    const other = 'sk_test_0a1b2c3d4e5f60718293a4b5';
    const start = runProcess('start', 'scripts/start.ts', {
      API_KEYS: `acme:${secret},globex:${other}`,
      PORT: String(await freePort()),
      QUEUE_PREFIX: testPrefix(),
    });
    try {
      await start.waitForOutput(/imagen-queue is running[\s\S]*Ctrl-C stops everything/, 90_000);
      const output = start.output();
      expect(output).toContain('acme: sk_…cdef');
      expect(output).toContain('globex: sk_…a4b5');
      expect(output).toContain('Bearer <your API key>');
      expect(output).not.toContain(secret);
      expect(output).not.toContain(other);
    } finally {
      const { code } = await start.stop('SIGINT', 60_000);
      expect(code).toBe(0);
    }
    expect(start.output()).not.toContain(secret);
  });
});
