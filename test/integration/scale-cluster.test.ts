import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes.ts';
import { startRedisCluster } from '../support/redis-cluster.ts';
import { countObjects, report, startStack } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

describe('scale-out: a Redis Cluster, one API and two workers', () => {
  it('runs a 100-job batch end to end with keys spread over the masters', async () => {
    const cluster = await startRedisCluster(3);
    const receiver = await startReceiver();
    try {
      const prefix = testPrefix();
      const stack = await startStack({
        prefix,
        workers: 2,
        emulatorEnv: { EMULATOR_LATENCY_MS: '10-40' },
        env: {
          REDIS_CLUSTER_NODES: cluster.nodes,
          API_KEYS: 'acme:acme-fault-key-1,beta:beta-cluster-key-1',
          WORKER_CONCURRENCY: '4',
          PROVIDER_INITIAL_RATE_PER_MIN: '60000',
          WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        },
      });
      try {
        // The API listens before Redis is known to serve; a client waits for /readyz, which
        // answers 200 only once every cluster master does.
        await waitUntil(
          async () => (await fetch(`${stack.api.url}/readyz`)).status === 200,
          30_000,
          'the API to be ready',
        );
        const submitted = await stack.request('/v1/batches', {
          method: 'POST',
          body: JSON.stringify({
            jobs: Array.from({ length: 100 }, (_, i) => ({ prompt: `cluster test ${i}`, seed: i })),
            webhook_url: receiver.url,
          }),
        });
        expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
        const batchId = (submitted.body as { id: string }).id;
        // A second tenant at the same time: its state hashes to a slot of its own.
        const other = await fetch(`${stack.api.url}/v1/jobs`, {
          method: 'POST',
          headers: {
            authorization: 'Bearer beta-cluster-key-1',
            'content-type': 'application/json',
          },
          body: JSON.stringify({ prompt: 'the other tenant', priority: 5 }),
        });
        expect(other.status).toBe(202);
        const otherId = ((await other.json()) as { id: string }).id;
        // A job outside any batch moves through the same one-slot transition: cancel one.
        const single = await stack.submitJob({ prompt: 'single, then canceled' });
        const canceled = await stack.request(`/v1/jobs/${single.id}/cancel`, { method: 'POST' });
        expect(canceled.status, JSON.stringify(canceled.body)).toBe(200);
        const batch = await stack.waitForBatch(batchId, 120_000);
        await waitUntil(
          async () => {
            const response = await fetch(`${stack.api.url}/v1/jobs/${otherId}`, {
              headers: { authorization: 'Bearer beta-cluster-key-1' },
            });
            return ((await response.json()) as { status: string }).status === 'succeeded';
          },
          30_000,
          "the other tenant's single job",
        );
        expect(batch.counts).toMatchObject({ total: 100, succeeded: 100, failed: 0 });
        expect(await countObjects(stack.env, `acme/${batchId}/`)).toBe(100);

        const jobs = await stack.batchJobs(batchId);
        expect(jobs.every((job) => job.status === 'succeeded' && job.attempts === 1)).toBe(true);
        // Webhooks went through the cluster too: one event per job, one batch.completed.
        await waitUntil(
          async () => new Set(receiver.received.map((d) => d.id)).size >= 101,
          60_000,
          'webhooks',
        );
        const types = new Map<string, string>(receiver.received.map((d) => [d.id, d.json.type]));
        expect([...types.values()].filter((t) => t === 'job.succeeded')).toHaveLength(100);
        expect([...types.values()].filter((t) => t === 'batch.completed')).toHaveLength(1);

        const perNode = await cluster.keysPerNode();
        report('redis cluster', { keys_per_node: perNode.join('/') });
        expect(perNode.filter((count) => count > 0).length).toBeGreaterThan(1);
        // Both workers took part.
        for (const worker of stack.workers) expect(worker.output()).toMatch(/job succeeded/);
        for (const process of [stack.api, ...stack.workers]) {
          expect(process.output()).not.toMatch(/CROSSSLOT|non local key|"level":50/);
        }
      } finally {
        const exits = await stack.stop();
        expect(exits.map((exit) => exit.code)).toEqual([0, 0, 0]);
      }
    } finally {
      await receiver.close();
      await cluster.stop();
    }
  }, 180_000);
});
