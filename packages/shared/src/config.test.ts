import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDurations } from './config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.imagen.baseUrl).toBe('https://api.aimlapi.com');
    expect(config.webhooks.allowPrivateNetworks).toBe(false);
    expect(config.webhooks.retryScheduleMs).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
  });

  it('lists every invalid variable at once', () => {
    const found = problems({
      PORT: 'abc',
      REDIS_URL: 'nope',
      WORKER_CONCURRENCY: '0',
      S3_FORCE_PATH_STYLE: 'maybe',
    });
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual(
      ['PORT', 'REDIS_URL', 'S3_FORCE_PATH_STYLE', 'WORKER_CONCURRENCY'].sort(),
    );
  });

  it('parses API_KEYS into tenants and never echoes a key in an error', () => {
    expect(
      loadConfig({ API_KEYS: 'acme:k1-secret-acme,globex:k2-secret-globex' }).auth.apiKeys,
    ).toEqual([
      { tenant: 'acme', key: 'k1-secret-acme' },
      { tenant: 'globex', key: 'k2-secret-globex' },
    ]);
    const found = problems({ API_KEYS: 'acme:k1-secret-acme,bad entry secret-xyz' });
    expect(found.join()).toMatch(/API_KEYS: entry 1/);
    expect(found.join()).not.toContain('secret');
  });

  it('parses REDIS_CLUSTER_NODES and refuses malformed ones', () => {
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001' }).redis.clusterNodes,
    ).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
    ]);
    expect(problems({ REDIS_CLUSTER_NODES: 'localhost' })[0]).toMatch(/^REDIS_CLUSTER_NODES:/);
  });

  it('requires S3 credentials in pairs', () => {
    expect(problems({ S3_ACCESS_KEY_ID: 'abc' })[0]).toMatch(/^S3_SECRET_ACCESS_KEY:/);
  });
});

describe('parseDurations', () => {
  it('reads the retry schedule notation', () => {
    expect(parseDurations('250ms,5s,5m,2h,1d')).toEqual([250, 5000, 300000, 7200000, 86400000]);
    expect(() => parseDurations('5s,soon')).toThrow(/soon/);
  });
});
