/**
 * The models a job may ask for, with the provider's limits for each.
 *
 * Google is retiring Imagen 3 on its own platform from mid-2026, so the model is a
 * parameter and its constraints live here, in one table, rather than in the schema.
 */
export const ASPECT_RATIOS = ['1:1', '3:4', '4:3', '9:16', '16:9'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** Pixel size the provider returns for each aspect ratio. */
export const ASPECT_RATIO_SIZES: Record<AspectRatio, { width: number; height: number }> = {
  '1:1': { width: 1024, height: 1024 },
  '16:9': { width: 1408, height: 768 },
  '9:16': { width: 768, height: 1408 },
  '4:3': { width: 1280, height: 896 },
  '3:4': { width: 896, height: 1280 },
};

export interface ModelSpec {
  /** The most images one request may ask for. */
  maxImages: number;
  maxPromptChars: number;
  supportsSeed: boolean;
  supportsEnhancePrompt: boolean;
}

export const DEFAULT_MODEL = 'imagen-3.0-generate-002';

export const MODELS = {
  'imagen-3.0-generate-002': {
    maxImages: 4,
    maxPromptChars: 400,
    supportsSeed: true,
    supportsEnhancePrompt: true,
  },
  'imagen-4.0-generate-001': {
    maxImages: 4,
    maxPromptChars: 400,
    supportsSeed: true,
    supportsEnhancePrompt: true,
  },
  'imagen-4.0-fast-generate-001': {
    maxImages: 4,
    maxPromptChars: 400,
    supportsSeed: true,
    supportsEnhancePrompt: true,
  },
  'imagen-4.0-ultra-generate-001': {
    maxImages: 1,
    maxPromptChars: 400,
    supportsSeed: true,
    supportsEnhancePrompt: true,
  },
} as const satisfies Record<string, ModelSpec>;

export type ModelName = keyof typeof MODELS;
export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];

/** The aspect ratio whose shape is closest to width × height (compared in log space). */
export function nearestAspectRatio(width: number, height: number): AspectRatio {
  const target = Math.log(width / height);
  let best: AspectRatio = '1:1';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const ratio of ASPECT_RATIOS) {
    const size = ASPECT_RATIO_SIZES[ratio];
    const distance = Math.abs(Math.log(size.width / size.height) - target);
    if (distance < bestDistance) {
      best = ratio;
      bestDistance = distance;
    }
  }
  return best;
}
