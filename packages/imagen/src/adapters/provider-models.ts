import { requireModel } from '@imagen-queue/contract';
import type { ProviderName } from './types.ts';

/**
 * The name each provider knows a model by, from the registry: the AI/ML API's short id, or
 * Google's Gemini id. `null` where the provider no longer serves the model (Google's Imagen).
 */
export function providerModelName(provider: ProviderName, model: string): string | null {
  const spec = requireModel(model);
  return provider === 'aimlapi' ? spec.provider_ids.aimlapi[0]! : spec.provider_ids.google;
}
