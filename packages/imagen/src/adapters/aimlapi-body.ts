import { type GenerationParams, requireModel } from '@imagen-queue/contract';
import { providerModelName } from './provider-models.ts';
import { referenceUrls } from './types.ts';

/** Queue-side fields, resolved before the call: never sent as they are. */
const QUEUE_ONLY = new Set(['model', 'n', 'image_size', 'image_urls']);

/**
 * The AI/ML API body for one job: exactly the fields its model takes (the provider answers
 * 400 to any other), with stored-image references already turned into URLs by the worker.
 */
export function aimlapiBody(params: GenerationParams): Record<string, unknown> {
  const spec = requireModel(params.model);
  const body: Record<string, unknown> = { model: providerModelName('aimlapi', params.model) };
  for (const field of Object.keys(spec.fields)) {
    if (QUEUE_ONLY.has(field)) continue;
    const value = params[field as keyof GenerationParams];
    if (value !== undefined) body[field] = value;
  }
  const urls = referenceUrls(params);
  if (urls.length > 0) body.image_urls = urls;
  return body;
}
