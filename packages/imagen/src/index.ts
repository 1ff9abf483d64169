export { providerModelName } from './adapters/provider-models.ts';
export type { ProviderName } from './adapters/types.ts';
export { createImagenClient } from './client.ts';
export type { BilledCall } from './emulator/billing.ts';
export {
  DEFAULT_EMULATOR_CONFIG,
  type EmulatorConfig,
  type EmulatorSettings,
  loadEmulatorConfig,
} from './emulator/config.ts';
export { SMALL_IMAGE_DIVISOR } from './emulator/images.ts';
export { createEmulator, type Emulator, type EmulatorOptions } from './emulator/server.ts';
export type { EmulatorStats } from './emulator/stats.ts';
export { ERROR_TABLE, type ErrorRule, type FailureKind } from './error-table.ts';
export { ProviderError, type ProviderErrorCode } from './errors.ts';
export {
  CLIENT_REQUEST_ID_PATTERN,
  clientRequestId,
  type ProviderUsage,
} from './provider-usage.ts';
export { parseRetryAfter } from './retry-after.ts';
export type {
  GeneratedImage,
  GenerationResult,
  ImagenClient,
  ImagenClientOptions,
} from './types.ts';
