import { inflateSync } from 'node:zlib';
import { ASPECT_RATIO_SIZES, ASPECT_RATIOS } from '@imagen-queue/contract';
import { describe, expect, it } from 'vitest';
import { inspectImage } from '../image-check.ts';
import { imageSize, renderImage } from './images.ts';

/** Inflate every IDAT (zlib checks its Adler-32) and compare with the scanline size. */
function pixelBytes(png: Buffer): number {
  const parts: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    if (png.toString('latin1', offset + 4, offset + 8) === 'IDAT') {
      parts.push(png.subarray(offset + 8, offset + 8 + length));
    }
    offset += 12 + length;
  }
  return inflateSync(Buffer.concat(parts)).length;
}

const spec = { prompt: 'a red kite', seed: 42, index: 0, noise: false, small: false };
const square = { width: 1024, height: 1024 };

describe('emulator images', () => {
  it.each(ASPECT_RATIOS)('%s: a valid PNG at the contract size', (ratio) => {
    const png = renderImage({ ...spec, ratio, ...ASPECT_RATIO_SIZES[ratio] });
    const { width, height } = ASPECT_RATIO_SIZES[ratio];
    expect(inspectImage(png)).toEqual({ mimeType: 'image/png', width, height });
    expect(pixelBytes(png)).toBe(height * (1 + width * 3));
  });

  it('small images are the contract sizes divided by 16', () => {
    expect(ASPECT_RATIOS.map((ratio) => imageSize(ASPECT_RATIO_SIZES[ratio], true))).toEqual([
      { width: 64, height: 64 },
      { width: 56, height: 80 },
      { width: 80, height: 56 },
      { width: 48, height: 88 },
      { width: 88, height: 48 },
    ]);
    expect(
      inspectImage(
        renderImage({ ...spec, ratio: '16:9', ...ASPECT_RATIO_SIZES['16:9'], small: true }),
      ),
    ).toMatchObject({
      width: 88,
      height: 48,
    });
  });

  it('noise images are valid, incompressible and 1–3 MB', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const ratio = ASPECT_RATIOS[seed % ASPECT_RATIOS.length]!;
      const png = renderImage({ ...spec, seed, ratio, ...ASPECT_RATIO_SIZES[ratio], noise: true });
      expect(png.length).toBeGreaterThanOrEqual(1_000_000);
      expect(png.length).toBeLessThanOrEqual(3_000_000);
      const { width, height } = ASPECT_RATIO_SIZES[ratio];
      expect(pixelBytes(png)).toBe(height * (1 + width * 3));
    }
  });

  it('pixels depend on prompt, seed and index only', () => {
    const base = renderImage({ ...spec, ratio: '1:1', ...square });
    expect(renderImage({ ...spec, ratio: '1:1', ...square }).equals(base)).toBe(true);
    expect(
      renderImage({ ...spec, ratio: '1:1', ...square, prompt: 'a blue kite' }).equals(base),
    ).toBe(false);
    expect(renderImage({ ...spec, ratio: '1:1', ...square, seed: 43 }).equals(base)).toBe(false);
    expect(renderImage({ ...spec, ratio: '1:1', ...square, index: 1 }).equals(base)).toBe(false);
  });
});
