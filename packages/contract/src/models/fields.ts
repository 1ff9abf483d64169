import Type from 'typebox';
import { JOB_ID_PATTERN } from '../ids.ts';

/**
 * Field schemas shared by several models. Each model picks the ones it takes (and narrows
 * enums where the provider does), so a field a model does not take is simply absent from its
 * schema and `additionalProperties: false` turns it into a 400 naming it.
 */
export const prompt = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S' });

export const numImages = (maximum: number) =>
  Type.Integer({ minimum: 1, maximum, default: 1, description: 'How many images (alias `n`)' });

/** The OpenAI-style alias of `num_images`; no default, so it never conflicts with one. */
export const nAlias = (maximum: number) =>
  Type.Integer({ minimum: 1, maximum, description: 'Alias of num_images' });

export const seed = Type.Integer({
  minimum: 0,
  maximum: 4294967295,
  description: 'Same seed, prompt and parameters give the same image',
});

export const enhancePrompt = Type.Boolean({ default: true });

export const aspectRatio = <const R extends readonly string[]>(ratios: R) =>
  Type.Enum(ratios, { default: '1:1' as R[number] });

export const imageSize = Type.Object(
  {
    width: Type.Integer({ minimum: 1, maximum: 8192 }),
    height: Type.Integer({ minimum: 1, maximum: 8192 }),
  },
  {
    additionalProperties: false,
    description: 'Mapped to the nearest aspect ratio when `aspect_ratio` is absent',
  },
);

export const personGeneration = <const V extends readonly string[]>(values: V) =>
  Type.Enum(values, { default: 'allow_adult' as V[number] });

export const safetySetting = <const V extends readonly string[]>(values: V) =>
  Type.Enum(values, { default: 'block_medium_and_above' as V[number] });

export const addWatermark = Type.Boolean({ default: false });

export const convertBase64ToUrl = (defaultValue: boolean) =>
  Type.Boolean({
    default: defaultValue,
    description: 'true: the provider answers with a URL; false: with base64',
  });

export const RESOLUTIONS = ['1K', '2K', '4K'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const resolution = Type.Enum(RESOLUTIONS, {
  default: '1K',
  description: 'Output scale: 2K doubles each side of the 1K size, 4K quadruples it',
});

/** One of the tenant's own stored images; turned into a presigned URL when the call is made. */
export const StoredImageRef = Type.Object(
  {
    job: Type.String({ pattern: JOB_ID_PATTERN }),
    index: Type.Integer({ minimum: 0, maximum: 3 }),
  },
  { additionalProperties: false },
);
export type StoredImageRef = Type.Static<typeof StoredImageRef>;

export const imageUrls = (maxItems: number) =>
  Type.Array(
    Type.Union([
      Type.String({ format: 'uri', maxLength: 2048, pattern: '^https://' }),
      StoredImageRef,
    ]),
    {
      minItems: 1,
      maxItems,
      description: 'Reference images to edit: https URLs or `{job, index}` of your own images',
    },
  );

export const enableWebSearch = Type.Boolean({ default: false });
