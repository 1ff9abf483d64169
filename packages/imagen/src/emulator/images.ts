import { createCipheriv, createHash } from 'node:crypto';
import { encodePng } from './png.ts';

export interface ImageSpec {
  prompt: string;
  seed: number;
  /** Which of the request's images: the four images of one request differ. */
  index: number;
  ratio: string;
  /** The model's size for the ratio (and resolution). */
  width: number;
  height: number;
  /** 1–3 MB of incompressible pixels, for memory benchmarks. */
  noise: boolean;
  /** Every side divided by 16 (1:1 → 64×64), for throughput benchmarks. */
  small: boolean;
}

export const SMALL_IMAGE_DIVISOR = 16;

export function imageSize(
  size: { width: number; height: number },
  small: boolean,
): { width: number; height: number } {
  if (!small) return size;
  return { width: size.width / SMALL_IMAGE_DIVISOR, height: size.height / SMALL_IMAGE_DIVISOR };
}

/** PNG bytes that are a pure function of the spec. */
export function renderImage(spec: ImageSpec): Buffer {
  const { width, height } = imageSize(spec, spec.small);
  const digest = createHash('sha256')
    .update(
      `${spec.prompt}\0${spec.seed}\0${spec.index}\0${spec.ratio}\0${spec.width}x${spec.height}`,
    )
    .digest();
  const rowBytes = 1 + width * 3;
  // Noise images: 1–3 MB of noise rows at the bottom, a pattern above them.
  const noiseRows = spec.noise
    ? Math.min(height, Math.ceil((1_000_000 + (digest.readUInt32BE(28) % 1_900_000)) / rowBytes))
    : 0;
  const packed = patternRows(digest, width, height - noiseRows);
  const stored = noiseRows > 0 ? noise(digest, noiseRows, rowBytes) : undefined;
  return encodePng(width, height, packed, stored);
}

/**
 * Diagonal bands between two colours from the digest, over a vertical gradient. Rows are
 * built with typed-array fills rather than per-pixel maths: 1408×768 takes a few ms.
 */
function patternRows(digest: Buffer, width: number, rows: number): Buffer {
  const rowBytes = 1 + width * 3;
  const raw = Buffer.alloc(rowBytes * rows);
  const band = 8 + (digest[6]! % 56);
  const slope = 1 + (digest[7]! % 3);
  for (let y = 0; y < rows; y++) {
    const shade = Math.floor((y * 96) / Math.max(1, rows));
    const a = [digest[0]! ^ shade, digest[1]!, digest[2]! ^ (shade >> 1)];
    const b = [digest[3]!, digest[4]! ^ shade, digest[5]!];
    const start = y * rowBytes;
    const offset = (y * slope) % (band * 2);
    for (let x = 0; x < width; x++) {
      const colour = Math.floor((x + offset) / band) % 2 === 0 ? a : b;
      const at = start + 1 + x * 3;
      raw[at] = colour[0]!;
      raw[at + 1] = colour[1]!;
      raw[at + 2] = colour[2]!;
    }
  }
  return raw;
}

/** Deterministic noise rows: an AES-CTR keystream keyed by the digest, at memcpy speed. */
function noise(digest: Buffer, rows: number, rowBytes: number): Buffer {
  const cipher = createCipheriv('aes-256-ctr', digest, Buffer.alloc(16));
  const raw = cipher.update(Buffer.alloc(rows * rowBytes));
  for (let y = 0; y < rows; y++) raw[y * rowBytes] = 0; // filter byte: none
  return raw;
}
