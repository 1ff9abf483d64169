import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  type RunningProcess,
  serviceEnv,
  startApi,
  startEmulator,
  startWorker,
  waitUntil,
} from '../support/processes.ts';
import { report } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const KEY = 'acme-accept-key-1';
// The case the issue names (some chunks queued, no answer sent) at its full 10,000 jobs; the
// three other points at 2,000 (two chunks), which keeps the suite's time within its budget:
// each job is run to the end to count the provider calls. FAULT_ACCEPT_JOBS sets every size.
const SIZE = process.env.FAULT_ACCEPT_JOBS ? Number(process.env.FAULT_ACCEPT_JOBS) : undefined;
const FULL = SIZE ?? 10_000;
const SMALL = SIZE ?? 2_000;
// "Some chunks queued": after the 3rd of 40 chunks of 250 answered (the 1st when the batch is
// shrunk); with two chunks in flight, the 4th may be queued too, never the rest.
const SOME_CHUNKS = FULL > 3_000 ? 3 : 1;

// Where the API SIGKILLs itself (packages/shared/src/fault-point.ts; inert unless set).
const POINTS = [
  // Some chunks queued, no answer sent: the case of the issue.
  { point: `batch-after-chunk:${SOME_CHUNKS}`, jobs: FULL },
  // Recorded as accepting, nothing queued yet.
  { point: 'batch-after-record', jobs: SMALL },
  // Every chunk queued, not finalized.
  { point: 'batch-before-finish', jobs: SMALL },
  // Finalized, the answer not sent.
  { point: 'batch-after-finish', jobs: SMALL },
];

const ndjsonOf = (jobs: number) =>
  Array.from({ length: jobs }, (_, i) =>
    JSON.stringify({ prompt: `accept crash test ${i}`, seed: i }),
  ).join('\n');

describe('fault: the API SIGKILLed while accepting a 10,000-job NDJSON batch', () => {
  for (const { point, jobs: JOBS } of POINTS) {
    it(`at ${point} (${JOBS} jobs): a retry with the same Idempotency-Key gets one batch, each job run once`, async () => {
      const prefix = testPrefix();
      const ndjson = ndjsonOf(JOBS);
      const emulator = await startEmulator({ EMULATOR_LATENCY_MS: '1-5' });
      const env: Record<string, string> = {
        ...serviceEnv(prefix),
        API_KEYS: `acme:${KEY}`,
        IMAGEN_BASE_URL: emulator.url,
        IMAGEN_API_KEY: 'emulator-key',
        WORKER_CONCURRENCY: '32',
        // The pace is not under test here: the known quota lets 10,000 jobs finish in minutes.
        PROVIDER_RATE_LIMIT_PER_MIN: '100000',
        PROVIDER_INITIAL_RATE_PER_MIN: '100000',
      };
      const processes: RunningProcess[] = [emulator];
      const redis = new Redis(env.REDIS_URL!);
      try {
        const dying = await startApi({ ...env, IMAGEN_QUEUE_FAULT_POINT: point });
        processes.push(dying);
        // A worker runs from the start: jobs of the half-accepted batch may run meanwhile.
        processes.push(await startWorker(env));
        const submit = (url: string) =>
          fetch(`${url}/v1/batches`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${KEY}`,
              'content-type': 'application/x-ndjson',
              'idempotency-key': `crash-${point}`,
            },
            body: ndjson,
          });
        const first = await submit(dying.url).then(
          (r) => r.status,
          () => 'no answer',
        );
        expect(first).toBe('no answer');
        expect((await dying.exited()).signal).toBe('SIGKILL');

        const api = await startApi(env);
        processes.push(api);
        // "listening" comes before the Redis connection: until /readyz says so, a 503 is right.
        await waitUntil(async () => (await fetch(`${api.url}/readyz`)).ok, 30_000, 'readiness');
        const retry = await submit(api.url);
        expect(retry.status).toBe(202);
        expect(retry.headers.get('idempotent-replayed')).toBe('true');
        const { id } = (await retry.json()) as { id: string };
        const again = await submit(api.url);
        expect(again.status).toBe(202);
        expect(((await again.json()) as { id: string }).id).toBe(id);

        const get = async () =>
          (await fetch(`${api.url}/v1/batches/${id}`, {
            headers: { authorization: `Bearer ${KEY}` },
          }).then((r) => r.json())) as { status: string; counts: Record<string, number> };
        await waitUntil(
          async () => {
            const b = await get();
            return b.status === 'completed';
          },
          1_500_000,
          'the batch',
        );
        const batch = await get();
        const stats = (await fetch(`${emulator.url}/__emulator/stats`).then((r) => r.json())) as {
          requests: number;
        };
        const batchKeys = await scan(redis, `${prefix}:{t:acme}:batch:*`);
        const batches = batchKeys.filter((key) => /:batch:[^:]+$/.test(key));
        const bull = `{${prefix}}:generation`;
        const left = await Promise.all(
          ['wait', 'prioritized', 'active', 'delayed', 'paused'].map((state) =>
            redis
              .type(`${bull}:${state}`)
              .then(async (type) =>
                type === 'zset'
                  ? redis.zcard(`${bull}:${state}`)
                  : type === 'list'
                    ? redis.llen(`${bull}:${state}`)
                    : 0,
              ),
          ),
        );
        report(`accept killed at ${point}`, {
          batches: batches.length,
          provider_calls: stats.requests,
          succeeded: batch.counts.succeeded!,
        });
        expect(batches).toHaveLength(1);
        expect(batch.counts).toMatchObject({ total: JOBS, succeeded: JOBS, queued: 0, running: 0 });
        expect(stats.requests).toBe(JOBS);
        expect(left).toEqual([0, 0, 0, 0, 0]);
        expect(await redis.zcard(`${prefix}:{t:acme}:accepting`)).toBe(0);
      } finally {
        redis.disconnect();
        await Promise.all(processes.reverse().map((p) => p.stop()));
      }
    }, 1_800_000);
  }
});

async function scan(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
