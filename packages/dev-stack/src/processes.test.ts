import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcess } from './processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'dev-stack-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, source: string): string {
  writeFileSync(join(dir, name), source);
  return name;
}

describe('runProcess', () => {
  it('gives the child only PATH, the base env and its own, and captures what it prints', async () => {
    const file = script(
      'env.mjs',
      `console.log(JSON.stringify({ n: process.env.NODE_ENV, a: process.env.A, h: process.env.HOME ?? null })); console.error('to stderr');`,
    );
    const child = runProcess('env', file, { A: 'x' }, [], { cwd: dir });
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain('{"n":"test","a":"x","h":null}');
    expect(child.output()).toContain('to stderr');
  });

  it('waits for a line, and stop sends the signal it is given', async () => {
    const file = script(
      'serve.mjs',
      `setTimeout(() => console.log('ready now'), 50); setInterval(() => {}, 1000);`,
    );
    const child = runProcess('serve', file, {}, [], { cwd: dir });
    await child.waitForOutput(/ready now/);
    expect(await child.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('rejects the wait, naming the process, when it exits before printing', async () => {
    const file = script('fail.mjs', `console.log('config is wrong'); process.exit(3);`);
    const child = runProcess('fail', file, {}, [], { cwd: dir });
    await expect(child.waitForOutput(/listening/)).rejects.toThrow(
      /fail exited \(3\) before printing \/listening\/:\nconfig is wrong/,
    );
  });

  it('keeps only the tail of a long output', async () => {
    const file = script('loud.mjs', `for (let i = 0; i < 50; i++) console.log('line ' + i);`);
    const child = runProcess('loud', file, {}, [], { cwd: dir, keepOutput: 100 });
    await child.exited();
    expect(child.output().length).toBeLessThanOrEqual(200);
    expect(child.output()).toContain('line 49');
    expect(child.output()).not.toContain('line 1\n');
  });
});
