/**
 * The models a job may ask for. Each model's facts (provider names, parameter schema, sizes,
 * determinism, shutdown) live in one registry (`models/catalog.ts`); this module is its door.
 */
import { IMAGEN_SIZES, nearestRatio } from './models/sizes.ts';

export * from './models/fields.ts';
export * from './models/registry.ts';
export { nearestRatio, RESOLUTION_SCALE, type Size } from './models/sizes.ts';

/** Imagen 3's aspect ratios (the seed API's), kept for callers that predate the registry. */
export const ASPECT_RATIOS = ['1:1', '3:4', '4:3', '9:16', '16:9'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];
export const ASPECT_RATIO_SIZES: Record<AspectRatio, { width: number; height: number }> =
  IMAGEN_SIZES;

/** The Imagen aspect ratio whose shape is closest to width × height (compared in log space). */
export function nearestAspectRatio(width: number, height: number): AspectRatio {
  return nearestRatio(IMAGEN_SIZES, width, height) as AspectRatio;
}
export * from './models/union.ts';
export * from './models/view.ts';
