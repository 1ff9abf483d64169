import { buildApp } from '@imagen-queue/api';
import { createLogger, loadConfig } from '@imagen-queue/shared';
import { waitForRedis } from '@imagen-queue/store';
import { serviceEnv } from './processes.ts';

export const ACME_KEY = 'acme-inject-key-1';
export const GLOBEX_KEY = 'globex-inject-key-1';
export const AUTH = { authorization: `Bearer ${ACME_KEY}` };

export type App = Awaited<ReturnType<typeof buildApp>>;

/**
 * The API in this process, on the test services under `prefix`, for `app.inject()`.
 * The caller closes it (that also closes its Redis connection, which the leak check looks for).
 */
export async function build(prefix: string, env: Record<string, string> = {}): Promise<App> {
  const config = loadConfig({
    ...serviceEnv(prefix),
    API_KEYS: `acme:${ACME_KEY},globex:${GLOBEX_KEY}`,
    ...env,
  });
  const app = await buildApp(config, createLogger({ level: 'silent', name: 'api' }));
  await app.ready();
  // The API's connection queues nothing while it connects: wait, or the first request is a 503.
  await waitForRedis(app.redis);
  return app;
}

/**
 * Every `METHOD /path` the app routes (HEAD, which Fastify adds to each GET, left out), read from
 * `printRoutes`: Fastify has no other public list of its routes once they are registered.
 */
export function routeList(app: App): string[] {
  const stack: { depth: number; path: string }[] = [];
  const routes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    while (stack.length > depth) stack.pop();
    const path = `${stack.at(-1)?.path ?? ''}${match[2]}`;
    stack.push({ depth, path });
    for (const method of (match[3] ?? '').split(', ')) {
      if (method && method !== 'HEAD' && method !== '-') routes.push(`${method} ${path}`);
    }
  }
  return routes.sort();
}
