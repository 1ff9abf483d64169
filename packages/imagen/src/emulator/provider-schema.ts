import {
  getModel,
  listModels,
  type ModelSpec,
  modelSchema,
  outputSize,
} from '@imagen-queue/contract';
import Type, { type TObject } from 'typebox';

/** Fields only the queue takes; a provider answers 400 to them. */
const QUEUE_ONLY = ['n', 'image_size'];

const cache = new Map<string, TObject>();

/**
 * What the AI/ML API accepts for one model: the registry's schema without the queue's own
 * fields, and `image_urls` as plain https URLs (stored-image references are resolved before
 * the call).
 */
export function providerSchema(spec: ModelSpec): TObject {
  const cached = cache.get(spec.id);
  if (cached) return cached;
  const { properties } = modelSchema(spec);
  const fields = Object.fromEntries(
    Object.entries(properties).filter(([name]) => !QUEUE_ONLY.includes(name)),
  );
  if ('image_urls' in fields) {
    fields.image_urls = Type.Optional(
      Type.Array(Type.String({ pattern: '^https?://' }), { minItems: 1, maxItems: 5 }),
    );
  }
  const schema = Type.Object({ ...fields, model: Type.String() }, { additionalProperties: false });
  cache.set(spec.id, schema);
  return schema;
}

/** The size a model answers with, `resolution` scaling it. */
export function sizeFor(spec: ModelSpec, ratio: string, resolution?: string) {
  return outputSize(spec, ratio, resolution);
}

/** The model a provider name stands for, as this emulator serves it. */
export function servedModel(provider: 'aimlapi' | 'google', name: string): ModelSpec | undefined {
  if (provider === 'aimlapi') {
    const spec = getModel(name);
    return spec?.provider_ids.aimlapi.includes(name) ? spec : undefined;
  }
  return findGoogle(name);
}

function findGoogle(name: string): ModelSpec | undefined {
  return listModels().find((spec) => spec.provider_ids.google === name);
}
