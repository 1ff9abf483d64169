import { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';
import { started } from './tracking.ts';

/**
 * Fails the file when it leaves a child process running or a Redis connection open under one
 * of its prefixes (every connection we make is named `<prefix>:<role>`; BullMQ's carry the
 * prefix too).
 */
afterAll(async () => {
  const alive = [...started.children].filter(
    ({ child }) => child.exitCode === null && child.signalCode === null,
  );
  for (const { child } of alive) child.kill('SIGKILL');
  if (started.prefixes.size === 0 && alive.length === 0) return;
  const redis = new Redis(inject('services').redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  let leaked: string[] = [];
  try {
    await redis.connect();
    // Give connections that are closing a moment to be gone.
    for (let i = 0; i < 20; i++) {
      const list = (await redis.client('LIST')) as string;
      leaked = list
        .split('\n')
        .map((line) => /name=(\S*)/.exec(line)?.[1] ?? '')
        .filter((name) => [...started.prefixes].some((prefix) => name.includes(prefix)));
      if (leaked.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    redis.disconnect();
  }
  started.prefixes.clear();
  started.children.clear();
  const problems = [
    ...alive.map(({ name }) => `child process still running: ${name}`),
    ...leaked.map((name) => `redis connection left open: ${name}`),
  ];
  if (problems.length > 0) throw new Error(`leaked resources:\n${problems.join('\n')}`);
});
