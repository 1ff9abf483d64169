import { describe, expect, it } from 'vitest';
import { renderImage } from './emulator/images.ts';
import { ProviderError } from './errors.ts';
import { inspectImage } from './image-check.ts';

/** A minimal baseline JPEG header: SOI, an APP0 segment, then SOF0 for 640×480. */
function jpegHeader(): Buffer {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof0 = [
    0xff, 0xc0, 0x00, 0x11, 8, 0x01, 0xe0, 0x02, 0x80, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
  ];
  return Buffer.from([0xff, 0xd8, ...app0, ...sof0, 0xff, 0xd9]);
}

describe('inspectImage', () => {
  it('reads a PNG size from IHDR', () => {
    const png = renderImage({
      prompt: 'p',
      seed: 1,
      index: 0,
      ratio: '16:9',
      width: 1408,
      height: 768,
      noise: false,
      small: false,
    });
    expect(inspectImage(png)).toEqual({ mimeType: 'image/png', width: 1408, height: 768 });
  });

  it('reads a JPEG size from SOF', () => {
    expect(inspectImage(jpegHeader())).toEqual({ mimeType: 'image/jpeg', width: 640, height: 480 });
  });

  it.each([
    ['text', Buffer.from('<html>not an image</html>')],
    ['empty', Buffer.alloc(0)],
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')],
    ['a truncated PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])],
  ])('refuses %s as invalid_response', (_name, bytes) => {
    const error = (() => {
      try {
        inspectImage(bytes);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'invalid_response' });
  });
});
