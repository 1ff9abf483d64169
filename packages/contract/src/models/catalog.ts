import type { TProperties } from 'typebox';
import * as F from './fields.ts';
import { GEMINI_SIZES, IMAGEN_SIZES, pick, type Size } from './sizes.ts';

export interface ModelSpec {
  /** The AI/ML API's short id: what a job's `model` is stored as. */
  id: string;
  /** Other names a client may send (the provider's long id, the queue's older bare names). */
  aliases: readonly string[];
  family: 'imagen' | 'gemini';
  /** The names each provider knows the model by; `google: null` where Google no longer serves it. */
  provider_ids: { aimlapi: readonly string[]; google: string | null };
  /** The parameters besides `model`, as the provider documents them for this model. */
  fields: TProperties;
  /** Output size per aspect ratio, at 1K where `resolution` scales it. */
  sizes: Readonly<Record<string, Size>>;
  maxImages: number;
  /** Same parameters (with a `seed`) give the same image. */
  deterministic: boolean;
  /** ISO date after which the provider no longer serves it, when announced. */
  shutdown_at: string | null;
  successor: string | null;
}

const IMAGEN_RATIOS = ['1:1', '9:16', '16:9', '3:4', '4:3'] as const;

function imagen4(maxImages: number) {
  return {
    prompt: F.prompt(400),
    num_images: F.numImages(maxImages),
    n: F.nAlias(maxImages),
    seed: F.seed,
    enhance_prompt: F.enhancePrompt,
    aspect_ratio: F.aspectRatio(IMAGEN_RATIOS),
    image_size: F.imageSize,
    // Imagen 4 dropped `allow_all` and `block_none`, and answers with a URL unless told not to.
    person_generation: F.personGeneration(['dont_allow', 'allow_adult']),
    safety_setting: F.safetySetting([
      'block_low_and_above',
      'block_medium_and_above',
      'block_only_high',
    ]),
    add_watermark: F.addWatermark,
    convert_base64_to_url: F.convertBase64ToUrl(true),
  };
}

function nanoBanana() {
  return {
    prompt: F.prompt(4000),
    aspect_ratio: F.aspectRatio(IMAGEN_RATIOS),
    image_size: F.imageSize,
    resolution: F.resolution,
    image_urls: F.imageUrls(5),
    enable_web_search: F.enableWebSearch,
  };
}

const IMAGEN_4 = 'google/imagen-4.0-generate-001';

/** Facts from the AI/ML API's model pages and Google's Gemini image-generation docs. */
export const MODEL_CATALOG: readonly ModelSpec[] = [
  {
    id: 'imagen-3.0-generate-002',
    aliases: [],
    family: 'imagen',
    provider_ids: { aimlapi: ['imagen-3.0-generate-002'], google: null },
    fields: {
      prompt: F.prompt(400),
      num_images: F.numImages(4),
      n: F.nAlias(4),
      seed: F.seed,
      enhance_prompt: F.enhancePrompt,
      aspect_ratio: F.aspectRatio(IMAGEN_RATIOS),
      image_size: F.imageSize,
      person_generation: F.personGeneration(['dont_allow', 'allow_adult', 'allow_all']),
      safety_setting: F.safetySetting([
        'block_low_and_above',
        'block_medium_and_above',
        'block_only_high',
        'block_none',
      ]),
      add_watermark: F.addWatermark,
      convert_base64_to_url: F.convertBase64ToUrl(false),
    },
    sizes: IMAGEN_SIZES,
    maxImages: 4,
    deterministic: true,
    // Google shut Imagen 3 down on its own platform (2025-11-10) and every Imagen model on
    // 2026-06-24; the AI/ML API still serves it and has announced no date.
    shutdown_at: null,
    successor: IMAGEN_4,
  },
  {
    id: IMAGEN_4,
    aliases: ['imagen-4.0-generate-001'],
    family: 'imagen',
    provider_ids: { aimlapi: [IMAGEN_4], google: null },
    fields: imagen4(4),
    sizes: IMAGEN_SIZES,
    maxImages: 4,
    deterministic: true,
    shutdown_at: null,
    successor: null,
  },
  {
    id: 'google/imagen-4.0-fast-generate-001',
    aliases: ['imagen-4.0-fast-generate-001'],
    family: 'imagen',
    provider_ids: { aimlapi: ['google/imagen-4.0-fast-generate-001'], google: null },
    fields: imagen4(4),
    sizes: IMAGEN_SIZES,
    maxImages: 4,
    deterministic: true,
    shutdown_at: null,
    successor: null,
  },
  {
    id: 'google/imagen-4.0-ultra-generate-001',
    aliases: ['imagen-4.0-ultra-generate-001'],
    family: 'imagen',
    provider_ids: { aimlapi: ['google/imagen-4.0-ultra-generate-001'], google: null },
    fields: imagen4(1),
    sizes: IMAGEN_SIZES,
    maxImages: 1,
    deterministic: true,
    shutdown_at: null,
    successor: null,
  },
  {
    id: 'google/nano-banana-2',
    aliases: ['google/gemini-3-1-flash-image-preview'],
    family: 'gemini',
    provider_ids: {
      aimlapi: ['google/nano-banana-2', 'google/gemini-3-1-flash-image-preview'],
      // Google retired the `-preview` id on 2026-06-25 for the GA one (Gemini deprecations page).
      google: 'gemini-3.1-flash-image',
    },
    fields: nanoBanana(),
    sizes: pick(IMAGEN_RATIOS),
    maxImages: 1,
    deterministic: false,
    shutdown_at: null,
    successor: null,
  },
  {
    id: 'google/nano-banana-pro',
    aliases: ['google/gemini-3-pro-image-preview'],
    family: 'gemini',
    provider_ids: {
      aimlapi: ['google/nano-banana-pro', 'google/gemini-3-pro-image-preview'],
      google: 'gemini-3-pro-image',
    },
    fields: nanoBanana(),
    sizes: pick(IMAGEN_RATIOS),
    maxImages: 1,
    deterministic: false,
    shutdown_at: null,
    successor: null,
  },
  {
    id: 'google/gemini-2.5-flash-image',
    aliases: [],
    family: 'gemini',
    provider_ids: { aimlapi: ['google/gemini-2.5-flash-image'], google: 'gemini-2.5-flash-image' },
    fields: {
      prompt: F.prompt(4000),
      num_images: F.numImages(4),
      n: F.nAlias(4),
      aspect_ratio: F.aspectRatio(Object.keys(GEMINI_SIZES) as (keyof typeof GEMINI_SIZES)[]),
      image_size: F.imageSize,
    },
    sizes: GEMINI_SIZES,
    maxImages: 4,
    deterministic: false,
    shutdown_at: null,
    successor: null,
  },
];
