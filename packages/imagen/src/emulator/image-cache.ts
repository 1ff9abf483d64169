import { type ImageSpec, renderImage } from './images.ts';

/**
 * Rendered images by spec, least recently used evicted past `maxBytes`. Seeded requests (all
 * of a benchmark's repeats) then cost a map lookup instead of a render.
 */
export interface ImageCache {
  get(spec: ImageSpec): Buffer;
}

export function createImageCache(maxBytes = 128 * 1024 * 1024): ImageCache {
  const entries = new Map<string, Buffer>();
  let bytes = 0;
  return {
    get(spec) {
      const key = JSON.stringify([
        spec.prompt,
        spec.seed,
        spec.index,
        spec.ratio,
        spec.noise,
        spec.small,
      ]);
      const cached = entries.get(key);
      if (cached) {
        entries.delete(key); // re-insert: Map order is the recency order
        entries.set(key, cached);
        return cached;
      }
      const image = renderImage(spec);
      entries.set(key, image);
      bytes += image.length;
      for (const [oldest, value] of entries) {
        if (bytes <= maxBytes) break;
        entries.delete(oldest);
        bytes -= value.length;
      }
      return image;
    },
  };
}
