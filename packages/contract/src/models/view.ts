import Type from 'typebox';
import type { ModelSpec } from './catalog.ts';
import { RESOLUTIONS } from './fields.ts';
import { modelNames, modelSchema, outputSize } from './registry.ts';

export const ModelSize = Type.Object({
  aspect_ratio: Type.String(),
  resolution: Type.Union([Type.Enum(RESOLUTIONS), Type.Null()]),
  width: Type.Integer(),
  height: Type.Integer(),
});

/** One model as `GET /v1/models` shows it. */
export const ModelView = Type.Object(
  {
    id: Type.String(),
    aliases: Type.Array(Type.String()),
    provider_ids: Type.Object({
      aimlapi: Type.Array(Type.String()),
      google: Type.Union([Type.String(), Type.Null()]),
    }),
    parameters: Type.Record(Type.String(), Type.Unknown(), {
      description: "JSON Schema of the model's request body (the same as in /openapi.json)",
    }),
    sizes: Type.Array(ModelSize),
    max_images: Type.Integer(),
    deterministic: Type.Boolean({
      description: 'The same parameters with a seed give the same image',
    }),
    shutdown_at: Type.Union([Type.String(), Type.Null()]),
    successor: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Model' },
);
export type ModelView = Type.Static<typeof ModelView>;

export const ModelList = Type.Object({ data: Type.Array(ModelView) });

export function toModelView(spec: ModelSpec): ModelView {
  const resolutions = 'resolution' in spec.fields ? [...RESOLUTIONS] : [null];
  return {
    id: spec.id,
    aliases: modelNames(spec).filter((name) => name !== spec.id),
    provider_ids: { aimlapi: [...spec.provider_ids.aimlapi], google: spec.provider_ids.google },
    // A plain JSON copy: the schema object itself carries TypeBox's own markers.
    parameters: JSON.parse(JSON.stringify(modelSchema(spec))),
    sizes: Object.keys(spec.sizes).flatMap((ratio) =>
      resolutions.map((resolution) => ({
        aspect_ratio: ratio,
        resolution,
        ...outputSize(spec, ratio, resolution ?? undefined),
      })),
    ),
    max_images: spec.maxImages,
    deterministic: spec.deterministic,
    shutdown_at: spec.shutdown_at,
    successor: spec.successor,
  };
}
