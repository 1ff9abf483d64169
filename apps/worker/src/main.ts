import {
  armFaultPoint,
  ConfigError,
  createLogger,
  createReleasers,
  loadConfig,
  loadTracing,
} from '@imagen-queue/shared';
import { createWorkerApp } from './app.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
  if (!config.imagen.apiKey) throw new ConfigError(['IMAGEN_API_KEY: is required by the worker']);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
armFaultPoint(config.faultPoint);

const logger = createLogger({
  level: config.log.level,
  name: 'worker',
  pretty: process.stdout.isTTY,
  // Two lines a job (`job succeeded`, `webhook delivered`) at a few hundred jobs a second: a
  // blocking write each was about 3 % of the worker's CPU in a profile. In blocks, as the API's;
  // a SIGKILL loses at most the last 100 ms of lines, never a job (the records say what happened).
  async: true,
});
const releasers = createReleasers();
// First in, so released last: the spans of the shutdown itself are exported too. Loaded before
// the app creates any client; with no OTEL_* set, no OpenTelemetry module is loaded at all.
const tracing = await loadTracing(config.tracing, 'imagen-queue-worker');
releasers.add('tracing', () => tracing.shutdown());
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

const app = createWorkerApp(config, { logger, tracing });
releasers.add('worker app', () => app.close());

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info(
    { signal, graceMs: config.worker.shutdownGraceMs },
    'stopping: finishing in-flight jobs',
  );
  await releasers.releaseAll((name, error) =>
    logger.error({ err: error, resource: name }, 'release failed'),
  );
  logger.info('stopped');
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

await app.start();
