import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';

/** What this test file started, so the leak check can tell what it left behind. */
export const started = {
  prefixes: new Set<string>(),
  children: new Set<{ name: string; child: ChildProcess }>(),
};

/** A queue/key prefix of its own for one test, as the leak check expects. */
export function testPrefix(): string {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  started.prefixes.add(prefix);
  return prefix;
}
