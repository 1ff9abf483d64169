import { createHash } from 'node:crypto';

/**
 * Seeds whose noise image (EMULATOR_NOISE, 1:1) is close to `targetBytes`. The emulator sizes a
 * noise image from its digest (packages/imagen/src/emulator/images.ts: 1 MB + digest % 1.9 MB
 * of stored rows); picking seeds here keeps the figure at one image size instead of 1–3 MB.
 * The figure reports the size the worker actually stored, so a drift would show.
 */
export function noiseSeeds(
  prompt: (i: number) => string,
  count: number,
  targetBytes: number,
): number[] {
  const seeds: number[] = [];
  for (let i = 0, seed = 0; seeds.length < count; seed++) {
    const digest = createHash('sha256')
      .update(`${prompt(i)}\0${seed}\0${0}\0${'1:1'}`)
      .digest();
    const bytes = 1_000_000 + (digest.readUInt32BE(28) % 1_900_000);
    if (Math.abs(bytes - targetBytes) < 50_000) {
      seeds.push(seed);
      i++;
    }
  }
  return seeds;
}
