import {
  armFaultPoint,
  ConfigError,
  createLogger,
  loadConfig,
  loadTracing,
} from '@imagen-queue/shared';
import { buildApp } from './app.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

armFaultPoint(config.faultPoint);
const tracing = await loadTracing(config.tracing, 'imagen-queue-api');
const logger = createLogger({
  level: config.log.level,
  name: 'api',
  pretty: process.stdout.isTTY,
  // A request's one line must not cost it a blocking write (the worker writes its lines so too).
  async: true,
  // With tracing on, each line names the trace and span it was written in.
  ...(tracing.enabled ? { mixin: () => tracing.logIds() } : {}),
});
const app = await buildApp(config, logger, { tracing });

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, 10_000);
  timer.unref();
  await app.close();
  await tracing.shutdown();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

try {
  const address = await app.listen({ port: config.http.port, host: config.http.host });
  logger.info({ address }, 'api listening');
} catch (error) {
  logger.fatal({ err: error }, 'api failed to start');
  process.exit(1);
}
