import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RedisServer, startRedisServer } from '@imagen-queue/dev-stack';
import { Redis } from 'ioredis';
import { started } from './tracking.ts';

const run = promisify(execFile);

export interface LocalRedisCluster {
  /** `host:port,…`, as `REDIS_CLUSTER_NODES` takes it. */
  nodes: string;
  ports: number[];
  /** How many keys each master holds (`DBSIZE`), in `ports` order. */
  keysPerNode(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` `redis-server` children on loopback (no replicas), ready
 * (`cluster_state:ok`) when this resolves. The children are tracked for the leak check;
 * `stop` ends them and removes their directory.
 */
export async function startRedisCluster(masters = 3): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'iq-cluster-'));
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const server = await startRedisServer({
        dir: join(dir, String(i)),
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${i}.conf`)],
      });
      servers.push(server);
      started.children.add({ name: `redis-cluster-${i}`, child: server.process });
    }
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await Promise.all(servers.map((server) => waitForClusterOk(server.port)));
    return {
      nodes: addresses.join(','),
      ports: servers.map((server) => server.port),
      keysPerNode: () =>
        Promise.all(servers.map((server) => withNode(server.port, (r) => r.dbsize()))),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function withNode<T>(port: number, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

async function waitForClusterOk(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await withNode(port, (redis) => redis.cluster('INFO') as Promise<string>);
    if (info.includes('cluster_state:ok')) return;
    if (Date.now() > deadline) throw new Error(`cluster node ${port} not ok:\n${info}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
