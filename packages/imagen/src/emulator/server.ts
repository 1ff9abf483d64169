import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@imagen-queue/shared';
import { aimlapiRoute } from './aimlapi-route.ts';
import { type BilledCall, createLedger } from './billing.ts';
import { DEFAULT_EMULATOR_CONFIG, type EmulatorConfig, parseConfigPatch } from './config.ts';
import { serveGeneration } from './generation.ts';
import { googleRoute } from './google-route.ts';
import { BodyError, readJson, sendJson } from './http-io.ts';
import { createImageCache } from './image-cache.ts';
import { specFromId } from './image-url.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { createStatsRecorder, type EmulatorStats } from './stats.ts';

export interface Emulator {
  url: string;
  port: number;
  config(): EmulatorConfig;
  setConfig(patch: Partial<EmulatorConfig>): void;
  stats(): EmulatorStats;
  /** Every generation request since start or reset: its `X-Client-Request-Id` and charge. */
  calls(): BilledCall[];
  resetStats(): void;
  /** Stops listening and drops every connection, hung requests included. */
  close(): Promise<void>;
}

export type EmulatorOptions = Partial<EmulatorConfig> & {
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  logger?: Logger;
};

/** The Imagen emulator as a real HTTP server (both provider APIs plus `/__emulator/*`). */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const { port = 0, host = '127.0.0.1', logger, ...initial } = options;
  let config: EmulatorConfig = { ...DEFAULT_EMULATOR_CONFIG, ...initial };
  const stats = createStatsRecorder();
  const limiter = createRateLimiter();
  const images = createImageCache();
  const ledger = createLedger();
  const closing = new AbortController();
  const hung = new Set<ServerResponse>();
  const deps = {
    config: () => config,
    stats,
    limiter,
    images,
    ledger,
    closing: closing.signal,
    hang(res: ServerResponse) {
      hung.add(res);
      res.once('close', () => hung.delete(res));
    },
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const { pathname } = url;
    if (req.method === 'POST' && pathname === '/v1/images/generations') {
      return serveGeneration(aimlapiRoute, req, res, url, deps);
    }
    if (req.method === 'POST' && /^\/v1beta\/models\/[^/]+:generateContent$/.test(pathname)) {
      return serveGeneration(googleRoute, req, res, url, deps);
    }
    if (req.method === 'GET' && pathname.startsWith('/__emulator/images/')) {
      const spec = specFromId(pathname.slice('/__emulator/images/'.length).replace(/\.png$/, ''));
      if (!spec) return sendJson(res, 404, { error: { message: 'no such image' } });
      const bytes = images.get(spec);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
      res.end(bytes);
      return;
    }
    if (req.method === 'GET' && pathname === '/__emulator/stats')
      return sendJson(res, 200, stats.snapshot());
    if (req.method === 'GET' && pathname === '/__emulator/calls')
      return sendJson(res, 200, { data: ledger.calls() });
    if (req.method === 'POST' && pathname === '/__emulator/reset') {
      stats.reset();
      limiter.reset();
      ledger.reset();
      return sendJson(res, 200, stats.snapshot());
    }
    if (pathname === '/__emulator/config') {
      if (req.method === 'GET') return sendJson(res, 200, config);
      if (req.method === 'POST') {
        const result = parseConfigPatch(await readJson(req));
        if ('errors' in result) return sendJson(res, 400, { errors: result.errors });
        emulator.setConfig(result.patch);
        return sendJson(res, 200, config);
      }
    }
    if (req.method === 'GET' && pathname === '/healthz') return sendJson(res, 200, { ok: true });
    sendJson(res, 404, { error: { message: `no route for ${req.method} ${pathname}` } });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof BodyError)
        return sendJson(res, error.status, { errors: [error.message] });
      logger?.error({ err: error }, 'emulator request failed');
      sendJson(res, 500, { error: { message: 'emulator error' } });
    });
  });
  server.keepAliveTimeout = 65_000; // longer than the client's, so the client closes idle sockets
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

  const emulator: Emulator = {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`,
    port: address.port,
    config: () => config,
    setConfig(patch) {
      config = { ...config, ...patch };
      logger?.info(
        { config: { ...config, apiKey: config.apiKey ? '[set]' : null } },
        'emulator config changed',
      );
    },
    stats: () => stats.snapshot(),
    calls: () => ledger.calls(),
    resetStats() {
      stats.reset();
      limiter.reset();
      ledger.reset();
    },
    async close() {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
  return emulator;
}
