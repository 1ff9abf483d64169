import { afterEach, describe, expect, it } from 'vitest';
import { GenerationRuleError, normalizeGeneration } from '../schemas/generation.ts';
import { getModel, isRetired, listModels, outputSize, setShutdownDates } from './registry.ts';
import { parseModelShutdowns } from './shutdowns.ts';

afterEach(() => setShutdownDates({}));

describe('the model registry', () => {
  it('finds a model by its id, its long AI/ML API id, or the older bare name', () => {
    expect(getModel('google/gemini-3-1-flash-image-preview')?.id).toBe('google/nano-banana-2');
    expect(getModel('imagen-4.0-ultra-generate-001')?.id).toBe(
      'google/imagen-4.0-ultra-generate-001',
    );
    expect(getModel('dall-e-3')).toBeUndefined();
  });

  it('says which models are deterministic under a seed: those that take one', () => {
    for (const spec of listModels()) {
      expect(spec.deterministic, spec.id).toBe('seed' in spec.fields);
    }
  });

  it('scales sizes by resolution', () => {
    const banana = getModel('google/nano-banana-pro')!;
    expect(outputSize(banana, '16:9', '1K')).toEqual({ width: 1344, height: 768 });
    expect(outputSize(banana, '16:9', '4K')).toEqual({ width: 5376, height: 3072 });
  });

  it('applies the model’s own defaults and leaves out what it does not take', () => {
    expect(
      normalizeGeneration({ model: 'google/gemini-2.5-flash-image', prompt: 'x', n: 2 }),
    ).toEqual({
      model: 'google/gemini-2.5-flash-image',
      prompt: 'x',
      num_images: 2,
      aspect_ratio: '1:1',
      convert_base64_to_url: false,
    });
    expect(
      normalizeGeneration({
        model: 'google/gemini-2.5-flash-image',
        prompt: 'x',
        image_size: { width: 2100, height: 900 },
      }).aspect_ratio,
    ).toBe('21:9');
  });

  it('refuses a model past its shutdown date at /model, naming the successor', () => {
    setShutdownDates(parseModelShutdowns('imagen-3.0-generate-002=2026-06-24'));
    const spec = getModel('imagen-3.0-generate-002')!;
    expect(isRetired(spec, Date.parse('2026-06-23'))).toBe(false);
    expect(isRetired(spec, Date.parse('2026-06-24'))).toBe(true);
    const attempt = () => normalizeGeneration({ prompt: 'x' }, Date.parse('2026-12-01'));
    expect(attempt).toThrow(GenerationRuleError);
    expect(attempt).toThrow(/use google\/imagen-4\.0-generate-001/);
  });

  it('MODEL_SHUTDOWNS names registered models and real dates', () => {
    expect(() => parseModelShutdowns('dall-e-3=2026-01-01')).toThrow(/registered model/);
    expect(() => parseModelShutdowns('google/nano-banana-2=soon')).toThrow(/ISO date/);
    expect(parseModelShutdowns('google/gemini-3-pro-image-preview=2027-01-01')).toEqual({
      'google/nano-banana-pro': '2027-01-01',
    });
  });
});
