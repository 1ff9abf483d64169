import type { ImageSpec } from './images.ts';

/**
 * The id in `/__emulator/images/{id}.png` is the image's spec itself, so a URL answer keeps
 * nothing in memory: the image is rendered (or found in the cache) when it is downloaded.
 */
export function imageId(spec: ImageSpec): string {
  const tuple = [
    spec.prompt,
    spec.seed,
    spec.index,
    spec.ratio,
    spec.width,
    spec.height,
    spec.noise,
    spec.small,
  ];
  return Buffer.from(JSON.stringify(tuple)).toString('base64url');
}

export function specFromId(id: string): ImageSpec | null {
  try {
    const tuple: unknown = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
    if (!Array.isArray(tuple) || tuple.length !== 8) return null;
    const [prompt, seed, index, ratio, width, height, noise, small] = tuple as unknown[];
    const valid =
      typeof prompt === 'string' &&
      Number.isInteger(seed) &&
      Number.isInteger(index) &&
      typeof ratio === 'string' &&
      Number.isInteger(width) &&
      Number.isInteger(height) &&
      (width as number) > 0 &&
      (height as number) > 0 &&
      (width as number) * (height as number) <= 4096 * 4096 &&
      typeof noise === 'boolean' &&
      typeof small === 'boolean';
    if (!valid) return null;
    return {
      prompt,
      seed: seed as number,
      index: index as number,
      ratio,
      width: width as number,
      height: height as number,
      noise,
      small,
    };
  } catch {
    return null;
  }
}
