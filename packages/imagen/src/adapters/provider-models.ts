import type { ModelName } from '@imagen-queue/shared';
import type { ProviderName } from './types.ts';

/**
 * The name each provider knows a model by. AI/ML API serves Imagen 3 under Google's own name
 * but the Imagen 4 family under a `google/` prefix; Google's endpoint takes the bare name.
 */
const AIMLAPI_NAMES: Record<ModelName, string> = {
  'imagen-3.0-generate-002': 'imagen-3.0-generate-002',
  'imagen-4.0-generate-001': 'google/imagen-4.0-generate-001',
  'imagen-4.0-fast-generate-001': 'google/imagen-4.0-fast-generate-001',
  'imagen-4.0-ultra-generate-001': 'google/imagen-4.0-ultra-generate-001',
};

export function providerModelName(provider: ProviderName, model: ModelName): string {
  return provider === 'aimlapi' ? AIMLAPI_NAMES[model] : model;
}

/** The registry name for a provider's model name (the emulator accepts either form). */
export function registryModelName(providerModel: string): string {
  return providerModel.replace(/^google\//, '');
}
