import { ConfigError, createLogger } from '@imagen-queue/shared';
import { loadEmulatorConfig } from './config.ts';
import { createEmulator } from './server.ts';

// `pnpm emulator`: the emulator alone, configured by EMULATOR_* variables.
let settings: ReturnType<typeof loadEmulatorConfig>;
try {
  settings = loadEmulatorConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
const { logLevel, ...options } = settings;
const logger = createLogger({ level: logLevel, name: 'imagen-emulator' });
const emulator = await createEmulator({ ...options, logger });
logger.info({ url: emulator.url }, `imagen emulator listening on ${emulator.url}`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'emulator stopping');
  await emulator.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
