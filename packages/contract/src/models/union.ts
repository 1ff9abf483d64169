import Type, { type Static, type TProperties, type TSchema } from 'typebox';
import { DEFAULT_MODEL, listModels, modelSchema } from './registry.ts';

/** Marks a request schema whose branch is chosen by `model` (the API's validator reads it). */
export const MODEL_UNION = 'x-union-by-model';

/**
 * A request body as one schema per model, told apart by `model`: what the OpenAPI document
 * shows, and what the API validates with (the branch `model` names, the default one without).
 * `Shape` is only the static type (every field of every model), since TypeScript cannot pick a
 * branch from a value it has not seen.
 */
export function modelUnion<Shape extends TSchema>(extra: TProperties, _shape: Shape) {
  const branches = listModels().map((spec) => modelSchema(spec, extra));
  return Type.Unsafe<Static<Shape>>({
    anyOf: branches,
    discriminator: { propertyName: 'model' },
    description: `One schema per model, chosen by \`model\` (default ${DEFAULT_MODEL}). GET /v1/models lists them.`,
    [MODEL_UNION]: true,
  } as unknown as TSchema);
}
