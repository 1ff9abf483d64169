import { describe, expect, it } from 'vitest';
import { runProcess } from '../support/processes.ts';

describe('invalid configuration', () => {
  it.each([
    ['api', 'apps/api/src/server.ts'],
    ['worker', 'apps/worker/src/main.ts'],
  ])('the %s exits non-zero naming every invalid variable at once', async (name, script) => {
    const child = runProcess(name, script, { PORT: 'abc', REDIS_URL: 'nope', IMAGEN_API_KEY: 'k' });
    const exit = await child.exited();
    expect(exit.code).toBe(1);
    expect(child.output()).toMatch(/PORT: /);
    expect(child.output()).toMatch(/REDIS_URL: /);
  });

  it('the worker refuses to start without a provider key', async () => {
    const child = runProcess('worker', 'apps/worker/src/main.ts', {});
    const exit = await child.exited();
    expect(exit.code).toBe(1);
    expect(child.output()).toMatch(/IMAGEN_API_KEY: is required/);
  });
});
