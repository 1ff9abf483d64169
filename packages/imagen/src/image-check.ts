import { providerError } from './error-table.ts';

export interface ImageInfo {
  mimeType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * What the bytes are, read from the bytes themselves: the provider's `mime_type` is a claim,
 * the magic number and the header are facts. Throws `invalid_response` for anything else.
 */
export function inspectImage(bytes: Buffer): ImageInfo {
  const info = bytes.subarray(0, 8).equals(PNG_SIGNATURE) ? readPng(bytes) : readJpeg(bytes);
  if (!info || info.width === 0 || info.height === 0) {
    throw providerError('invalid_response', {
      message: 'the provider returned something that is not a PNG or JPEG image',
    });
  }
  return info;
}

function readPng(bytes: Buffer): ImageInfo | null {
  // The IHDR chunk must come first: length (4), type (4), then width and height.
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { mimeType: 'image/png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function readJpeg(bytes: Buffer): ImageInfo | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) return null;
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    // SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return {
        mimeType: 'image/jpeg',
        height: bytes.readUInt16BE(offset + 5),
        width: bytes.readUInt16BE(offset + 7),
      };
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end or scan before any frame header
    offset += 2 + bytes.readUInt16BE(offset + 2);
  }
  return null;
}
