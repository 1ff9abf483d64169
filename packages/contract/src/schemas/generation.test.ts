import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { GenerationInput, GenerationRuleError, normalizeGeneration } from './generation.ts';

describe('generation parameters', () => {
  it('fills the contract defaults', () => {
    expect(normalizeGeneration({ prompt: 'a cat' })).toEqual({
      model: 'imagen-3.0-generate-002',
      prompt: 'a cat',
      num_images: 1,
      enhance_prompt: true,
      aspect_ratio: '1:1',
      person_generation: 'allow_adult',
      safety_setting: 'block_medium_and_above',
      add_watermark: false,
      convert_base64_to_url: false,
    });
  });

  it('accepts n as an alias of num_images, and refuses both when they disagree', () => {
    expect(normalizeGeneration({ prompt: 'x', n: 3 }).num_images).toBe(3);
    expect(() => normalizeGeneration({ prompt: 'x', n: 3, num_images: 2 })).toThrow(
      GenerationRuleError,
    );
  });

  it.each([
    [{ width: 1920, height: 1080 }, '16:9'],
    [{ width: 1080, height: 1920 }, '9:16'],
    [{ width: 1000, height: 1010 }, '1:1'],
    [{ width: 1200, height: 900 }, '4:3'],
    [{ width: 900, height: 1200 }, '3:4'],
  ])('maps image_size %o to %s when aspect_ratio is absent', (size, ratio) => {
    expect(normalizeGeneration({ prompt: 'x', image_size: size }).aspect_ratio).toBe(ratio);
  });

  it('keeps an explicit aspect_ratio over image_size', () => {
    expect(
      normalizeGeneration({
        prompt: 'x',
        aspect_ratio: '1:1',
        image_size: { width: 1920, height: 1080 },
      }).aspect_ratio,
    ).toBe('1:1');
  });

  it.each([
    [{ prompt: '' }, '/prompt'],
    [{ prompt: '   ' }, '/prompt'],
    [{ prompt: 'x'.repeat(4001) }, '/prompt'],
    [{ prompt: 'x', num_images: 5 }, '/num_images'],
    [{ prompt: 'x', seed: 4294967296 }, '/seed'],
    [{ prompt: 'x', seed: -1 }, '/seed'],
    [{ prompt: 'x', aspect_ratio: '2:1' }, '/aspect_ratio'],
    [{ prompt: 'x', person_generation: 'everyone' }, '/person_generation'],
    [{ prompt: 'x', safety_setting: 'off' }, '/safety_setting'],
    [{ prompt: 'x', model: 'dall-e-3' }, '/model'],
  ])('refuses %o at %s', (input, path) => {
    const errors = [...Value.Errors(GenerationInput, input)];
    expect(errors.map((error) => error.instancePath)).toContain(path);
  });

  it('refuses unknown fields', () => {
    expect(Value.Check(GenerationInput, { prompt: 'x', style: 'photo' })).toBe(false);
  });
});
