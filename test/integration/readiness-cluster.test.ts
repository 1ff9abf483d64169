import { buildApp } from '@imagen-queue/api';
import { createLogger, loadConfig } from '@imagen-queue/shared';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_KEY, AUTH } from '../support/build-app.ts';
import { serviceEnv, waitUntil } from '../support/processes.ts';
import { type LocalRedisCluster, startRedisCluster } from '../support/redis-cluster.ts';
import { testPrefix } from '../support/tracking.ts';

// /readyz is what a load balancer or an orchestrator trusts: once it says 200, a request must
// not answer "the job store is unavailable". With a Redis Cluster that needs every master's
// connection open, not one PING to whichever node answers first.
describe('/readyz with a Redis Cluster', () => {
  let cluster: LocalRedisCluster;
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    const config = loadConfig({
      ...serviceEnv(testPrefix()),
      REDIS_CLUSTER_NODES: cluster.nodes,
      API_KEYS: `acme:${ACME_KEY}`,
    });
    app = await buildApp(config, createLogger({ level: 'silent', name: 'api' }));
    await app.ready();
    // The worker creates the bucket in a deployment; here no worker runs.
    await app.storage.ensureBucket();
  });
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  it('says ready only when every master serves, and the first batch submit then succeeds', async () => {
    let last = '';
    await waitUntil(
      async () => {
        const answer = await app.inject({ url: '/readyz' });
        last = answer.body;
        return answer.statusCode === 200;
      },
      30_000,
      '/readyz',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last answer ${last}`);
    });
    const masters = (app.redis as Cluster).nodes('master');
    expect(masters.length).toBe(3);
    expect(masters.map((node) => node.status)).toEqual(['ready', 'ready', 'ready']);
    const submitted = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: AUTH,
      payload: { jobs: Array.from({ length: 50 }, (_, i) => ({ prompt: `ready ${i}`, seed: i })) },
    });
    expect(submitted.statusCode, submitted.body).toBe(202);
  });

  it('says unavailable while any one master does not answer, and ready again after', async () => {
    // Each master in turn: a probe that PINGs one node would miss two of the three.
    for (const port of cluster.ports) {
      const direct = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
      await direct.connect();
      try {
        await direct.call('CLIENT', 'PAUSE', '4000', 'ALL');
        const paused = await app.inject({ url: '/readyz' });
        expect(paused.statusCode, `master on ${port}`).toBe(503);
        expect(paused.json().checks.redis).not.toBe('ok');
        await direct.call('CLIENT', 'UNPAUSE');
      } finally {
        direct.disconnect();
      }
      await waitUntil(
        async () => (await app.inject({ url: '/readyz' })).statusCode === 200,
        30_000,
        'ready again',
      );
    }
  });
});
