import { describe, expect, it } from 'vitest';
import { parseInputFile, requestedImages } from './input.ts';

describe('parseInputFile', () => {
  it('reads one prompt per non-empty line, trimmed', () => {
    expect(parseInputFile('a red fox\n\n  a blue whale  \r\nsunset\n')).toEqual([
      { prompt: 'a red fox' },
      { prompt: 'a blue whale' },
      { prompt: 'sunset' },
    ]);
  });

  it('reads NDJSON of parameters when every non-empty line is a JSON object', () => {
    const text =
      '{"prompt":"fox","seed":1}\n\n{"prompt":"whale","num_images":2,"aspect_ratio":"16:9"}\n';
    expect(parseInputFile(text)).toEqual([
      { prompt: 'fox', seed: 1 },
      { prompt: 'whale', num_images: 2, aspect_ratio: '16:9' },
    ]);
  });

  it('treats a mix of JSON and text as plain prompts, JSON lines included verbatim', () => {
    expect(parseInputFile('{"prompt":"fox"}\na whale')).toEqual([
      { prompt: '{"prompt":"fox"}' },
      { prompt: 'a whale' },
    ]);
  });

  it('does not take JSON arrays or scalars for parameter objects', () => {
    expect(parseInputFile('[1,2]\n42')).toEqual([{ prompt: '[1,2]' }, { prompt: '42' }]);
  });

  it('ignores a byte-order mark', () => {
    expect(parseInputFile('\uFEFF{"prompt":"fox"}')).toEqual([{ prompt: 'fox' }]);
  });

  it('refuses a file without prompts', () => {
    expect(() => parseInputFile('\n  \n')).toThrow(/no prompts/);
  });
});

describe('requestedImages', () => {
  it('follows num_images, then its alias n, else 1', () => {
    expect(requestedImages({ prompt: 'x', num_images: 3 })).toBe(3);
    expect(requestedImages({ prompt: 'x', n: 2 })).toBe(2);
    expect(requestedImages({ prompt: 'x' })).toBe(1);
  });
});
