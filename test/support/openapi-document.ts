import { buildApp } from '@imagen-queue/api';
import { createLogger, loadConfig } from '@imagen-queue/shared';

/** The document the API serves at `/openapi.json` (making it needs no Redis). */
export async function liveDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({ API_KEYS: 'docs:docs-key-1', REDIS_URL: 'redis://127.0.0.1:1' });
  const app = await buildApp(config, createLogger({ level: 'silent', name: 'openapi' }));
  try {
    await app.ready();
    return (await app.inject('/openapi.json')).json();
  } finally {
    await app.close();
  }
}
