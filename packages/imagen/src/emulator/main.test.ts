import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { until } from '../test-wait.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [main], { env: { ...process.env, ...env }, stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, output: () => output };
}

it('`pnpm emulator` prints its URL, answers, and stops cleanly on SIGTERM', async () => {
  const emulator = run({ EMULATOR_PORT: '0', EMULATOR_HANG_RATE: '1' });
  const deadline = Date.now() + 10_000;
  while (!/listening on (http:\/\/\S+)"/.test(emulator.output()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = /listening on (http:\/\/[^"\s]+)/.exec(emulator.output())?.[1];
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const stats = await (await fetch(`${url}/__emulator/stats`)).json();
  expect(stats).toMatchObject({ requests: 0 });
  // A hung request must not keep the process alive.
  void fetch(`${url}/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: 'Bearer k' },
    body: JSON.stringify({ model: 'imagen-3.0-generate-002', prompt: 'p' }),
  }).catch(() => {});
  await until(
    async () =>
      ((await (await fetch(`${url}/__emulator/stats`)).json()) as { hung: number }).hung === 1,
  );
  emulator.child.kill('SIGTERM');
  expect(await emulator.exited).toBe(0);
});

it('exits non-zero listing every invalid variable', async () => {
  const emulator = run({ EMULATOR_PORT: 'x', EMULATOR_HANG_RATE: '7' });
  expect(await emulator.exited).toBe(1);
  expect(emulator.output()).toContain('EMULATOR_PORT');
  expect(emulator.output()).toContain('EMULATOR_HANG_RATE');
});
