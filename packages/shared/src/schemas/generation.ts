import Type from 'typebox';
import {
  ASPECT_RATIOS,
  DEFAULT_MODEL,
  MODEL_NAMES,
  MODELS,
  type ModelName,
  nearestAspectRatio,
} from '../models.ts';

/**
 * The generation parameters of the seed API (`POST /v1/images/generations`), as clients send
 * them. `normalizeGeneration` turns them into `GenerationParams`, the form stored on a job
 * and sent to the provider.
 */
export const GenerationFields = {
  model: Type.Optional(Type.Enum(MODEL_NAMES, { default: DEFAULT_MODEL })),
  prompt: Type.String({ minLength: 1, maxLength: 400, pattern: '\\S' }),
  num_images: Type.Optional(Type.Integer({ minimum: 1, maximum: 4, default: 1 })),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 4, description: 'Alias of num_images' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
  enhance_prompt: Type.Optional(Type.Boolean({ default: true })),
  aspect_ratio: Type.Optional(Type.Enum(ASPECT_RATIOS, { default: '1:1' })),
  image_size: Type.Optional(
    Type.Object(
      {
        width: Type.Integer({ minimum: 1, maximum: 8192 }),
        height: Type.Integer({ minimum: 1, maximum: 8192 }),
      },
      { additionalProperties: false },
    ),
  ),
  person_generation: Type.Optional(
    Type.Enum(['dont_allow', 'allow_adult', 'allow_all'], { default: 'allow_adult' }),
  ),
  safety_setting: Type.Optional(
    Type.Enum(['block_low_and_above', 'block_medium_and_above', 'block_only_high', 'block_none'], {
      default: 'block_medium_and_above',
    }),
  ),
  add_watermark: Type.Optional(Type.Boolean({ default: false })),
  convert_base64_to_url: Type.Optional(Type.Boolean({ default: false })),
};

export const GenerationInput = Type.Object(GenerationFields, {
  additionalProperties: false,
  $id: 'GenerationInput',
});
export type GenerationInput = Type.Static<typeof GenerationInput>;

/** Every field resolved: defaults applied, `n` folded into `num_images`, aspect ratio chosen. */
export const GenerationParams = Type.Object(
  {
    model: Type.Enum(MODEL_NAMES),
    prompt: Type.String(),
    num_images: Type.Integer(),
    seed: Type.Optional(Type.Integer()),
    enhance_prompt: Type.Boolean(),
    aspect_ratio: Type.Enum(ASPECT_RATIOS),
    image_size: Type.Optional(Type.Object({ width: Type.Integer(), height: Type.Integer() })),
    person_generation: Type.Enum(['dont_allow', 'allow_adult', 'allow_all']),
    safety_setting: Type.Enum([
      'block_low_and_above',
      'block_medium_and_above',
      'block_only_high',
      'block_none',
    ]),
    add_watermark: Type.Boolean(),
    convert_base64_to_url: Type.Boolean(),
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

/** Resolve a schema-valid input into stored parameters; throws `GenerationRuleError`. */
export function normalizeGeneration(input: GenerationInput): GenerationParams {
  const model: ModelName = input.model ?? DEFAULT_MODEL;
  const spec = MODELS[model];
  if (input.n !== undefined && input.num_images !== undefined && input.n !== input.num_images) {
    throw new GenerationRuleError('/n', 'must equal num_images when both are given');
  }
  const numImages = input.num_images ?? input.n ?? 1;
  if (numImages > spec.maxImages) {
    throw new GenerationRuleError('/num_images', `must be <= ${spec.maxImages} for ${model}`);
  }
  if (input.prompt.length > spec.maxPromptChars) {
    throw new GenerationRuleError(
      '/prompt',
      `must be <= ${spec.maxPromptChars} chars for ${model}`,
    );
  }
  const aspectRatio =
    input.aspect_ratio ??
    (input.image_size
      ? nearestAspectRatio(input.image_size.width, input.image_size.height)
      : '1:1');
  return {
    model,
    prompt: input.prompt,
    num_images: numImages,
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
    enhance_prompt: input.enhance_prompt ?? true,
    aspect_ratio: aspectRatio,
    ...(input.image_size ? { image_size: input.image_size } : {}),
    person_generation: input.person_generation ?? 'allow_adult',
    safety_setting: input.safety_setting ?? 'block_medium_and_above',
    add_watermark: input.add_watermark ?? false,
    convert_base64_to_url: input.convert_base64_to_url ?? false,
  };
}
