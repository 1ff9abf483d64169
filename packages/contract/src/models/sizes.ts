import type { Resolution } from './fields.ts';

export interface Size {
  width: number;
  height: number;
}

/** Imagen 3 and 4: one fixed size per aspect ratio (the pixel counts Google documents). */
export const IMAGEN_SIZES = {
  '1:1': { width: 1024, height: 1024 },
  '3:4': { width: 896, height: 1280 },
  '4:3': { width: 1280, height: 896 },
  '9:16': { width: 768, height: 1408 },
  '16:9': { width: 1408, height: 768 },
} as const satisfies Record<string, Size>;

/** Gemini image models at 1K (Google's image-generation table); 2K and 4K scale each side. */
export const GEMINI_SIZES = {
  '1:1': { width: 1024, height: 1024 },
  '2:3': { width: 832, height: 1248 },
  '3:2': { width: 1248, height: 832 },
  '3:4': { width: 864, height: 1184 },
  '4:3': { width: 1184, height: 864 },
  '4:5': { width: 896, height: 1152 },
  '5:4': { width: 1152, height: 896 },
  '9:16': { width: 768, height: 1344 },
  '16:9': { width: 1344, height: 768 },
  '21:9': { width: 1536, height: 672 },
} as const satisfies Record<string, Size>;

export const RESOLUTION_SCALE: Record<Resolution, number> = { '1K': 1, '2K': 2, '4K': 4 };

export function pick<K extends keyof typeof GEMINI_SIZES>(ratios: readonly K[]) {
  return Object.fromEntries(
    ratios.map((ratio) => [ratio, GEMINI_SIZES[ratio]]),
  ) as unknown as Record<K, Size>;
}

/** The aspect ratio (among `sizes`) whose shape is closest to width × height, in log space. */
export function nearestRatio(sizes: Record<string, Size>, width: number, height: number): string {
  const target = Math.log(width / height);
  let best = '1:1';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [ratio, size] of Object.entries(sizes)) {
    const distance = Math.abs(Math.log(size.width / size.height) - target);
    if (distance < bestDistance) {
      best = ratio;
      bestDistance = distance;
    }
  }
  return best;
}
