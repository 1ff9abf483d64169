import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    // The emulator serves the reference images here, as our (private) S3 would.
    referenceImages: { trustedOrigins: [emulator.url] },
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

describe('Google `generateContent`', () => {
  it('Nano Banana 2: inlineData images at the ratio and resolution asked', async () => {
    const result = await google.generate(
      params({ model: 'google/nano-banana-2', aspect_ratio: '16:9', resolution: '2K' }),
    );
    expect(result).toMatchObject({ requested: 1, filtered: 0, enhancedPrompt: null });
    expect(result.images[0]).toMatchObject({ mimeType: 'image/png', width: 2688, height: 1536 });
  });

  it('Gemini 2.5 Flash Image: several candidates, its own ratios', async () => {
    emulator.setConfig({ smallImages: true });
    const result = await google.generate(
      params({ model: 'google/gemini-2.5-flash-image', aspect_ratio: '21:9', num_images: 2 }),
    );
    expect(result.images).toHaveLength(2);
    expect(result.images[0]).toMatchObject({ width: 1536 / 16, height: 672 / 16 });
  });

  it('sends reference images inline, fetched from their URLs', async () => {
    emulator.setConfig({ smallImages: true });
    const answer = await fetch(`${emulator.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: 'Bearer k-123456', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'google/imagen-4.0-generate-001', prompt: 'a reference' }),
    });
    const { data } = (await answer.json()) as { data: { url: string }[] };
    const model = 'google/nano-banana-2';
    const edited = await google.generate(params({ model, image_urls: [data[0]!.url] }));
    expect(edited.images).toHaveLength(1);
    // A reference that cannot be fetched fails the attempt before any generation call.
    const missing = `${emulator.url}/__emulator/images/missing.png`;
    await expect(google.generate(params({ model, image_urls: [missing] }))).rejects.toMatchObject({
      code: 'invalid_response',
    });
  });

  it('a stored-image reference never turned into a URL fails, on either provider, without a call', async () => {
    const unresolved = params({
      model: 'google/nano-banana-2',
      image_urls: [{ job: 'job_01abc', index: 0 }],
    });
    const before = emulator.stats().requests;
    for (const client of [aimlapi, google]) {
      await expect(client.generate(unresolved)).rejects.toMatchObject({
        code: 'invalid_request',
        retryable: false,
        message: expect.stringMatching(/image_urls\/0: .*job_01abc.* not resolved/),
      });
    }
    expect(emulator.stats().requests).toBe(before);
  });

  it('a blocked prompt and an IMAGE_SAFETY stop are content_filtered', async () => {
    await expect(
      google.generate(params({ model: 'google/nano-banana-pro', prompt: 'x [blocked]' })),
    ).rejects.toMatchObject({ code: 'content_filtered', retryable: false });
    await expect(
      google.generate(params({ model: 'google/nano-banana-pro', prompt: 'x [filter:1]' })),
    ).rejects.toMatchObject({
      code: 'content_filtered',
      message: expect.stringMatching(/IMAGE_SAFETY/),
    });
  });

  it('RESOURCE_EXHAUSTED is rate_limited; a bad key is provider_auth', async () => {
    const model = 'google/gemini-2.5-flash-image';
    await expect(
      google.generate(params({ model, prompt: 'x [status:429]' })),
    ).rejects.toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 1000 });
    const wrongKey = createImagenClient({
      provider: 'google',
      baseUrl: emulator.url,
      apiKey: 'nope-nope',
    });
    // Google answers 400 API_KEY_INVALID for a bad key; that is an auth failure, not a bad request.
    await expect(wrongKey.generate(params({ model }))).rejects.toMatchObject({
      code: 'provider_auth',
      status: 400,
    });
    await wrongKey.close();
  });

  it.each([
    // What Google sends for a spent quota: 429 with the gRPC status in the body.
    [429, 'google'],
    // Behind a gateway that rewrites the status, the body still says what happened.
    [503, 'a gateway'],
  ])(
    'an error body with status RESOURCE_EXHAUSTED (HTTP %i, from %s) is rate_limited',
    async (httpStatus) => {
      const quota = createServer((_req, res) => {
        res.writeHead(httpStatus, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: {
              code: httpStatus,
              message:
                'You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count, limit: 0',
              status: 'RESOURCE_EXHAUSTED',
              details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '46s' }],
            },
          }),
        );
      });
      await new Promise<void>((resolve) => quota.listen(0, '127.0.0.1', resolve));
      const client = createImagenClient({
        provider: 'google',
        baseUrl: `http://127.0.0.1:${(quota.address() as AddressInfo).port}`,
        apiKey: 'k-123456',
      });
      try {
        await expect(
          client.generate(params({ model: 'google/gemini-2.5-flash-image' })),
        ).rejects.toMatchObject({ code: 'rate_limited', retryable: true, status: httpStatus });
      } finally {
        await client.close();
        await new Promise((resolve) => quota.close(resolve));
      }
    },
  );

  it('an Imagen model, which Google no longer serves, is model_unavailable without a call', async () => {
    const before = emulator.stats().requests;
    await expect(google.generate(params())).rejects.toMatchObject({
      code: 'model_unavailable',
      retryable: false,
    });
    expect(emulator.stats().requests).toBe(before);
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
