import { describe, expect, it } from 'vitest';
import { slugify } from './slug.ts';

describe('slugify', () => {
  it('lowercases and joins words with dashes', () => {
    expect(slugify('A red fox, at dusk!')).toBe('a-red-fox-at-dusk');
  });

  it('drops accents and characters unsafe in file names', () => {
    expect(slugify('Crème brûlée / "café" ../etc')).toBe('creme-brulee-cafe-etc');
  });

  it('cuts long prompts at a word boundary', () => {
    const slug = slugify('an extremely detailed watercolor painting of a lighthouse on a cliff');
    expect(slug.length).toBeLessThanOrEqual(40);
    expect(slug).toBe('an-extremely-detailed-watercolor');
  });

  it('keeps a word that ends exactly at the limit', () => {
    expect(slugify('abcd efgh', 4)).toBe('abcd');
  });

  it('cuts one long word at the limit', () => {
    expect(slugify('x'.repeat(100))).toBe('x'.repeat(40));
  });

  it('falls back to "image" when nothing is left', () => {
    expect(slugify('🦊🌅 !!!')).toBe('image');
  });
});
