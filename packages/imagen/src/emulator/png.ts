import { constants, crc32, deflateRawSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MAX_STORED_BLOCK = 65_535;

/**
 * An 8-bit RGB PNG from raw scanlines (each a filter byte then width × 3 bytes). `packed` rows
 * are deflated; `stored` rows follow them uncompressed. Stored rows are what makes a noise
 * image cheap: random bytes would cost zlib 20–50 ms an image to fail to compress, while
 * copying them into stored deflate blocks costs next to nothing.
 */
export function encodePng(width: number, height: number, packed: Buffer, stored?: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter set, no interlace
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', zlibStream(packed, stored ?? Buffer.alloc(0))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, tail]);
}

/** A zlib stream by hand: header, deflated part (sync-flushed), stored blocks, Adler-32. */
function zlibStream(packed: Buffer, stored: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x78, 0x01])];
  parts.push(deflateRawSync(packed, { level: 1, finishFlush: constants.Z_SYNC_FLUSH }));
  let offset = 0;
  do {
    const length = Math.min(MAX_STORED_BLOCK, stored.length - offset);
    const last = offset + length >= stored.length;
    const header = Buffer.alloc(5);
    header[0] = last ? 1 : 0; // BFINAL, BTYPE 00 (stored); the sync flush left us byte-aligned
    header.writeUInt16LE(length, 1);
    header.writeUInt16LE(~length & 0xffff, 3);
    parts.push(header, stored.subarray(offset, offset + length));
    offset += length;
  } while (offset < stored.length);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adler32(stored, adler32(packed)), 0);
  parts.push(trailer);
  return Buffer.concat(parts);
}

function adler32(data: Buffer, previous = 1): number {
  let a = previous & 0xffff;
  let b = previous >>> 16;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(i + 5552, data.length); // the most bytes before the sums can overflow
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
