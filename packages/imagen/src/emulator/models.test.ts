import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectImage } from '../image-check.ts';
import { createEmulator, type Emulator } from './server.ts';

// Each registered model by its own rules, on both providers' routes, as the providers answer.
let emulator: Emulator;
beforeAll(async () => {
  emulator = await createEmulator({ smallImages: false });
});
afterAll(() => emulator.close());

async function aimlapi(body: Record<string, unknown>) {
  const response = await fetch(`${emulator.url}/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Answer };
}

async function google(model: string, body: Record<string, unknown>) {
  const response = await fetch(`${emulator.url}/v1beta/models/${model}:generateContent`, {
    method: 'POST',
    headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Answer };
}

/** Just the parts of either provider's answer these tests read. */
interface Answer {
  error: { message: string; status?: string };
  data: { url?: string; b64_json: string }[];
  candidates: { content: { parts: { inlineData: { data: string } }[] } }[];
  promptFeedback?: unknown;
}

const text = (prompt: string) => [{ role: 'user', parts: [{ text: prompt }] }];

describe('AI/ML API route: each model its own fields', () => {
  it.each([
    [{ model: 'google/nano-banana-2', prompt: 'x', seed: 1 }, 'seed'],
    [{ model: 'imagen-3.0-generate-002', prompt: 'x', resolution: '2K' }, 'resolution'],
    [
      { model: 'google/imagen-4.0-generate-001', prompt: 'x', person_generation: 'allow_all' },
      'person_generation',
    ],
    [
      { model: 'google/gemini-2.5-flash-image', prompt: 'x', enhance_prompt: true },
      'enhance_prompt',
    ],
  ])('%j → 400 naming %s', async (body, field) => {
    const { status, json } = await aimlapi(body);
    expect(status).toBe(400);
    expect(json.error.message).toContain(field);
  });

  it('an unknown model is the 404 a retired model gets', async () => {
    const { status, json } = await aimlapi({ model: 'imagen-2.0', prompt: 'x' });
    expect(status).toBe(404);
    expect(json.error.message).toMatch(/model/i);
  });

  it('sizes follow the model and resolution; Imagen 4 answers URLs by default', async () => {
    const banana = await aimlapi({
      model: 'google/gemini-3-1-flash-image-preview',
      prompt: 'x',
      aspect_ratio: '9:16',
      resolution: '2K',
      convert_base64_to_url: false,
    });
    // convert_base64_to_url is not a Nano Banana field: refused like any other.
    expect(banana.status).toBe(400);
    const ok = await aimlapi({
      model: 'google/nano-banana-2',
      prompt: 'x',
      aspect_ratio: '9:16',
      resolution: '2K',
    });
    expect(ok.status).toBe(201);
    const image = inspectImage(Buffer.from(ok.json.data[0]!.b64_json, 'base64'));
    expect(image).toMatchObject({ width: 1536, height: 2688 });
    const imagen4 = await aimlapi({ model: 'google/imagen-4.0-generate-001', prompt: 'x' });
    expect(imagen4.json.data[0]!.url).toMatch(/\/__emulator\/images\//);
  });
});

describe('Google generateContent route', () => {
  it('serves the Gemini image models by their Google ids, and 404s Imagen', async () => {
    const ok = await google('gemini-2.5-flash-image', {
      contents: text('x'),
      generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '3:2' } },
    });
    expect(ok.status).toBe(200);
    const data = ok.json.candidates[0]!.content.parts[0]!.inlineData.data;
    expect(inspectImage(Buffer.from(data, 'base64'))).toMatchObject({ width: 1248, height: 832 });
    const imagen = await google('imagen-3.0-generate-002', { contents: text('x') });
    expect(imagen.status).toBe(404);
    expect(imagen.json.error.status).toBe('NOT_FOUND');
  });

  it.each([
    ['gemini-2.5-flash-image', { imageConfig: { imageSize: '2K' } }, 'imageSize'],
    ['gemini-3.1-flash-image', { imageConfig: { aspectRatio: '21:9' } }, 'aspectRatio'],
    ['gemini-3-pro-image', { candidateCount: 2 }, 'candidateCount'],
  ])('%s refuses %j (400 naming %s)', async (model, config, field) => {
    const { status, json } = await google(model, { contents: text('x'), generationConfig: config });
    expect(status).toBe(400);
    expect(json.error.message).toContain(field);
  });

  it('a blocked prompt is promptFeedback.blockReason; a filtered image an IMAGE_SAFETY stop', async () => {
    const blocked = await google('gemini-3-pro-image', { contents: text('x [blocked]') });
    expect(blocked.json).toEqual({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } });
    const filtered = await google('gemini-3-pro-image', { contents: text('x [filter:1]') });
    expect(filtered.json.candidates).toEqual([{ finishReason: 'IMAGE_SAFETY', index: 0 }]);
  });
});
