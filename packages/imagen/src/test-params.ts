import {
  type GenerationInput,
  type GenerationParams,
  normalizeGeneration,
} from '@imagen-queue/contract';

/** Normalized parameters for tests: the shared schema's defaults plus the given fields. */
export function params(input: Partial<GenerationInput> = {}): GenerationParams {
  return normalizeGeneration({ prompt: 'a lighthouse at dusk', ...input });
}
