import Type from 'typebox';
import * as F from '../models/fields.ts';
import { GEMINI_SIZES, nearestRatio } from '../models/sizes.ts';
import {
  DEFAULT_MODEL,
  getModel,
  isRetired,
  listModels,
  MODEL_NAMES,
  type ModelSpec,
} from '../models.ts';

/**
 * Every field any registered model takes, for places that accept a line before its model is
 * known (a batch line merged with `defaults`). The per-model check is `modelSchema` (registry):
 * a field the chosen model does not take is refused there.
 */
export const GenerationFields = {
  model: Type.Optional(Type.Enum(MODEL_NAMES, { default: DEFAULT_MODEL })),
  prompt: F.prompt(4000),
  num_images: Type.Optional(F.numImages(4)),
  n: Type.Optional(F.nAlias(4)),
  seed: Type.Optional(F.seed),
  enhance_prompt: Type.Optional(F.enhancePrompt),
  aspect_ratio: Type.Optional(F.aspectRatio(Object.keys(GEMINI_SIZES))),
  image_size: Type.Optional(F.imageSize),
  person_generation: Type.Optional(F.personGeneration(['dont_allow', 'allow_adult', 'allow_all'])),
  safety_setting: Type.Optional(
    F.safetySetting([
      'block_low_and_above',
      'block_medium_and_above',
      'block_only_high',
      'block_none',
    ]),
  ),
  add_watermark: Type.Optional(F.addWatermark),
  convert_base64_to_url: Type.Optional(F.convertBase64ToUrl(false)),
  resolution: Type.Optional(F.resolution),
  image_urls: Type.Optional(F.imageUrls(5)),
  enable_web_search: Type.Optional(F.enableWebSearch),
};

export const GenerationInput = Type.Object(GenerationFields, {
  additionalProperties: false,
  $id: 'GenerationInput',
});
export type GenerationInput = Type.Static<typeof GenerationInput>;

/**
 * Every field the model takes, resolved: defaults applied, `n` folded into `num_images`, the
 * aspect ratio chosen, `model` its registry id. Fields a model does not take are absent.
 */
export const GenerationParams = Type.Object(
  {
    model: Type.String(),
    prompt: Type.String(),
    num_images: Type.Integer(),
    seed: Type.Optional(Type.Integer()),
    enhance_prompt: Type.Optional(Type.Boolean()),
    aspect_ratio: Type.String(),
    image_size: Type.Optional(Type.Object({ width: Type.Integer(), height: Type.Integer() })),
    person_generation: Type.Optional(Type.String()),
    safety_setting: Type.Optional(Type.String()),
    add_watermark: Type.Optional(Type.Boolean()),
    convert_base64_to_url: Type.Boolean(),
    resolution: Type.Optional(Type.Enum(F.RESOLUTIONS)),
    image_urls: Type.Optional(Type.Array(Type.Union([Type.String(), F.StoredImageRef]))),
    enable_web_search: Type.Optional(Type.Boolean()),
  },
  { $id: 'GenerationParams' },
);
export type GenerationParams = Type.Static<typeof GenerationParams>;

/** A rule the schema cannot express, reported against the field it concerns. */
export class GenerationRuleError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'GenerationRuleError';
    this.path = path;
  }
}

/** The model an input asks for; throws `GenerationRuleError` at `/model` for an unknown one. */
export function modelOf(input: { model?: unknown }): ModelSpec {
  const name = input.model ?? DEFAULT_MODEL;
  const spec = typeof name === 'string' ? getModel(name) : undefined;
  if (!spec) {
    throw new GenerationRuleError(
      '/model',
      `must be one of ${listModels()
        .map((model) => model.id)
        .join(', ')}`,
    );
  }
  return spec;
}

/**
 * Resolve an input valid for its model's schema into stored parameters; throws
 * `GenerationRuleError`. A model past its shutdown date is refused here, naming its successor.
 */
export function normalizeGeneration(input: GenerationInput, now = Date.now()): GenerationParams {
  const spec = modelOf(input);
  if (isRetired(spec, now)) {
    const instead = spec.successor ? `; use ${spec.successor}` : '';
    throw new GenerationRuleError(
      '/model',
      `${spec.id} was shut down on ${spec.shutdown_at}${instead}`,
    );
  }
  if (input.n !== undefined && input.num_images !== undefined && input.n !== input.num_images) {
    throw new GenerationRuleError('/n', 'must equal num_images when both are given');
  }
  const takes = (field: string) => field in spec.fields;
  const fallback = <T>(field: string): T =>
    (spec.fields[field] as { default?: T } | undefined)?.default as T;
  const aspectRatio =
    input.aspect_ratio ??
    (input.image_size
      ? nearestRatio(spec.sizes, input.image_size.width, input.image_size.height)
      : '1:1');
  // Built field by field, not from spreads of one-field objects: a batch resolves 10,000 lines.
  // The order of the keys is the stored JSON's.
  const params: Record<string, unknown> = {
    model: spec.id,
    prompt: input.prompt,
    num_images: input.num_images ?? input.n ?? 1,
  };
  const pick = (field: keyof GenerationInput) => {
    if (takes(field)) params[field] = input[field] ?? fallback(field);
  };
  if (input.seed !== undefined && takes('seed')) params.seed = input.seed;
  pick('enhance_prompt');
  params.aspect_ratio = aspectRatio;
  if (input.image_size) params.image_size = input.image_size;
  pick('person_generation');
  pick('safety_setting');
  pick('add_watermark');
  params.convert_base64_to_url =
    input.convert_base64_to_url ?? fallback<boolean | undefined>('convert_base64_to_url') ?? false;
  pick('resolution');
  if (input.image_urls) params.image_urls = input.image_urls;
  pick('enable_web_search');
  return params as GenerationParams;
}
