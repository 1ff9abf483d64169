import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createImagenClient } from './client.ts';
import { createEmulator, type Emulator } from './emulator/server.ts';
import { params } from './test-params.ts';
import type { ImagenClient } from './types.ts';

let emulator: Emulator;
let client: ImagenClient;
beforeAll(async () => {
  emulator = await createEmulator({ smallImages: true });
  client = createImagenClient({ provider: 'aimlapi', baseUrl: emulator.url, apiKey: 'any' });
});
afterAll(async () => {
  await client.close();
  await emulator.close();
});

const prompts = fc
  .string({ minLength: 1, maxLength: 80 })
  .filter((p) => /\S/.test(p) && !p.includes('['));
const ratios = fc.constantFrom('1:1', '3:4', '4:3', '9:16', '16:9' as const);
const seeds = fc.integer({ min: 0, max: 4294967295 });

it('the same (prompt, seed, params) give identical bytes; another seed gives other bytes', async () => {
  await fc.assert(
    fc.asyncProperty(
      prompts,
      seeds,
      seeds,
      ratios,
      fc.boolean(),
      async (prompt, seed, other, aspect_ratio, enhance_prompt) => {
        fc.pre(seed !== other);
        const request = { prompt, aspect_ratio, enhance_prompt, num_images: 2 };
        const first = await client.generate(params({ ...request, seed }));
        const again = await client.generate(params({ ...request, seed }));
        const reseeded = await client.generate(params({ ...request, seed: other }));
        first.images.forEach((image, index) => {
          expect(image.bytes.equals(again.images[index]!.bytes)).toBe(true);
          expect(image.bytes.equals(reseeded.images[index]!.bytes)).toBe(false);
        });
      },
    ),
    { numRuns: 40 },
  );
});

it('without a seed, like the provider, each request gives new images', async () => {
  const [a, b] = await Promise.all([client.generate(params()), client.generate(params())]);
  expect(a.images[0]!.bytes.equals(b.images[0]!.bytes)).toBe(false);
});
