import { describe, expect, it } from 'vitest';
import { joinField, splitField } from './codec.ts';

describe('splitField / joinField', () => {
  it('cuts a long value into chunks of at most 64 bytes and joins it back', () => {
    const value = JSON.stringify({ prompt: 'a lighthouse at dawn '.repeat(20) });
    const fields = splitField('request', value);
    expect(Object.keys(fields).length).toBe(Math.ceil(value.length / 64));
    for (const chunk of Object.values(fields))
      expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(64);
    expect(joinField(fields, 'request')).toBe(value);
  });

  it('never cuts a character in two, whatever its UTF-8 length', () => {
    const value = JSON.stringify({ prompt: 'phare à l’aube 灯台 🌅🌊 '.repeat(12) });
    const fields = splitField('request', value);
    for (const chunk of Object.values(fields)) {
      expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(64);
      expect(Buffer.from(chunk).toString('utf8')).toBe(chunk);
    }
    expect(joinField(fields, 'request')).toBe(value);
  });

  it('names the first unused chunk field when asked, empty, and keeps a huge value whole', () => {
    const fields = splitField('result', 'short', true);
    expect(fields).toEqual({ result: 'short', 'result.1': '' });
    expect(Object.keys(splitField('result', 'x'.repeat(130), true))).toEqual([
      'result',
      'result.1',
      'result.2',
      'result.3',
    ]);
    const huge = 'x'.repeat(64 * 64 + 1);
    expect(splitField('result', huge)).toEqual({ result: huge });
  });

  it('reads a value stored whole, as records before the chunks were', () => {
    expect(joinField({ request: '{"prompt":"x"}' }, 'request')).toBe('{"prompt":"x"}');
    expect(joinField({}, 'request')).toBeUndefined();
  });
});
