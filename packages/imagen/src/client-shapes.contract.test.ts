import type { Logger } from '@imagen-queue/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createImagenClient } from './client.ts';
import { enhancePrompt } from './emulator/directives.ts';
import { createEmulator, type Emulator } from './emulator/server.ts';
import { params } from './test-params.ts';
import type { ImagenClient } from './types.ts';

let emulator: Emulator;
let aimlapi: ImagenClient;
let google: ImagenClient;

beforeAll(async () => {
  emulator = await createEmulator({ apiKey: 'k-123456' });
  aimlapi = createImagenClient({ provider: 'aimlapi', baseUrl: emulator.url, apiKey: 'k-123456' });
  google = createImagenClient({
    provider: 'google',
    baseUrl: `${emulator.url}/`,
    apiKey: 'k-123456',
  });
});
afterAll(async () => {
  await Promise.all([aimlapi.close(), google.close()]);
  await emulator.close();
});
beforeEach(() => emulator.setConfig({ responseShape: 'data', smallImages: false }));

describe('AI/ML API shapes', () => {
  it('`data[].b64_json`: images at the contract size, enhanced prompt kept', async () => {
    const result = await aimlapi.generate(
      params({ prompt: 'a fox', aspect_ratio: '16:9', num_images: 2 }),
    );
    expect(result).toMatchObject({
      requested: 2,
      filtered: 0,
      enhancedPrompt: enhancePrompt('a fox'),
    });
    expect(
      result.images.map(({ mimeType, width, height }) => ({ mimeType, width, height })),
    ).toEqual([
      { mimeType: 'image/png', width: 1408, height: 768 },
      { mimeType: 'image/png', width: 1408, height: 768 },
    ]);
    expect(result.images[0]!.bytes.equals(result.images[1]!.bytes)).toBe(false);
  });

  it.each([
    ['1:1', 1024, 1024],
    ['9:16', 768, 1408],
    ['4:3', 1280, 896],
    ['3:4', 896, 1280],
  ] as const)('aspect ratio %s → %i×%i', async (aspect_ratio, width, height) => {
    const [image] = (await aimlapi.generate(params({ aspect_ratio, seed: 1 }))).images;
    expect(image).toMatchObject({ width, height });
  });

  it('`data[].url` when convert_base64_to_url: the image is downloaded', async () => {
    const inline = await aimlapi.generate(params({ seed: 9 }));
    const viaUrl = await aimlapi.generate(params({ seed: 9, convert_base64_to_url: true }));
    expect(viaUrl.images[0]!.bytes.equals(inline.images[0]!.bytes)).toBe(true);
  });

  it('`output.choices[].image_base64`, by config or per request', async () => {
    emulator.setConfig({ responseShape: 'output', smallImages: true });
    const byConfig = await aimlapi.generate(params({ prompt: 'a fox', num_images: 3 }));
    expect(byConfig).toMatchObject({
      requested: 3,
      filtered: 0,
      enhancedPrompt: enhancePrompt('a fox'),
    });
    expect(byConfig.images).toHaveLength(3);
    emulator.setConfig({ responseShape: 'data' });
    const perRequest = await aimlapi.generate(
      params({ prompt: 'a fox [shape:output]', enhance_prompt: false }),
    );
    expect(perRequest).toMatchObject({ requested: 1, filtered: 0, enhancedPrompt: null });
    expect(perRequest.images[0]).toMatchObject({ width: 64, height: 64 });
  });

  it('fewer images than asked is a partial success that says how many were filtered', async () => {
    emulator.setConfig({ smallImages: true });
    const result = await aimlapi.generate(params({ prompt: 'a crowd [filter:1]', num_images: 3 }));
    expect(result).toMatchObject({ requested: 3, filtered: 1 });
    expect(result.images).toHaveLength(2);
  });

  it('sends the provider name of newer models', async () => {
    emulator.setConfig({ smallImages: true });
    const result = await aimlapi.generate(
      params({ model: 'imagen-4.0-fast-generate-001', num_images: 4 }),
    );
    expect(result.images).toHaveLength(4);
  });
});

describe('Google `:predict`', () => {
  it('answers `predictions[].bytesBase64Encoded` with the enhanced prompt', async () => {
    const result = await google.generate(
      params({ prompt: 'a heron', aspect_ratio: '3:4', num_images: 2, seed: 4 }),
    );
    expect(result).toMatchObject({
      requested: 2,
      filtered: 0,
      enhancedPrompt: enhancePrompt('a heron'),
    });
    expect(result.images[0]).toMatchObject({ mimeType: 'image/png', width: 896, height: 1280 });
  });

  it('gives the same pixels as the AI/ML API for the same prompt and seed', async () => {
    emulator.setConfig({ smallImages: true });
    const [fromGoogle, fromAimlapi] = await Promise.all([
      google.generate(params({ prompt: 'a heron', seed: 77 })),
      aimlapi.generate(params({ prompt: 'a heron', seed: 77 })),
    ]);
    expect(fromGoogle.images[0]!.bytes.equals(fromAimlapi.images[0]!.bytes)).toBe(true);
  });

  it('filtered images (raiFilteredReason) are counted; all filtered is content_filtered', async () => {
    emulator.setConfig({ smallImages: true });
    const partial = await google.generate(params({ prompt: 'people [filter:2]', num_images: 4 }));
    expect(partial).toMatchObject({ requested: 4, filtered: 2 });
    await expect(
      google.generate(params({ prompt: 'people [filter:4]', num_images: 2 })),
    ).rejects.toMatchObject({
      code: 'content_filtered',
      retryable: false,
    });
  });

  it('a refused prompt, a bad key and a 429 map like the AI/ML API ones', async () => {
    await expect(google.generate(params({ prompt: 'x [blocked]' }))).rejects.toMatchObject({
      code: 'content_filtered',
      status: 400,
    });
    await expect(google.generate(params({ prompt: 'x [status:429]' }))).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 1000,
    });
    const wrongKey = createImagenClient({
      provider: 'google',
      baseUrl: emulator.url,
      apiKey: 'nope-nope',
    });
    // Google answers 400 API_KEY_INVALID for a bad key; that is an auth failure, not a bad request.
    await expect(wrongKey.generate(params())).rejects.toMatchObject({
      code: 'provider_auth',
      status: 400,
    });
    await wrongKey.close();
  });
});

describe('logging', () => {
  it('never logs the API key', async () => {
    const lines: string[] = [];
    const logger = {
      child: () => logger,
      debug: (...args: unknown[]) => lines.push(JSON.stringify(args)),
      info: (...args: unknown[]) => lines.push(JSON.stringify(args)),
      warn: (...args: unknown[]) => lines.push(JSON.stringify(args)),
      error: (...args: unknown[]) => lines.push(JSON.stringify(args)),
    } as unknown as Logger;
    const client = createImagenClient({
      provider: 'aimlapi',
      baseUrl: emulator.url,
      apiKey: 'k-123456',
      logger,
    });
    await client.generate(params({ seed: 3 }));
    await client.generate(params({ prompt: 'x [status:401]' })).catch(() => {});
    await client.close();
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.join('\n')).not.toContain('k-123456');
  });
});
