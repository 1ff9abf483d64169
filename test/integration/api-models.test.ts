import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, AUTH, build, GLOBEX_KEY } from '../support/build-app.ts';
import { testPrefix } from '../support/tracking.ts';

let app: App;
beforeAll(async () => {
  app = await build(testPrefix());
});
afterAll(() => app?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = AUTH) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });

function problemPath(response: Awaited<ReturnType<typeof post>>): string {
  expect(response.statusCode, response.body).toBe(400);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return response.json().errors[0].path;
}

describe('one schema per model', () => {
  it.each([
    [{ model: 'google/nano-banana-2', prompt: 'x', seed: 1 }, '/seed'],
    [{ model: 'google/gemini-3-1-flash-image-preview', prompt: 'x', num_images: 2 }, '/num_images'],
    [{ prompt: 'x', resolution: '2K' }, '/resolution'],
    [
      { model: 'imagen-3.0-generate-002', prompt: 'x', image_urls: ['https://e.com/a.png'] },
      '/image_urls',
    ],
    [
      { model: 'google/imagen-4.0-generate-001', prompt: 'x', person_generation: 'allow_all' },
      '/person_generation',
    ],
    [
      { model: 'google/imagen-4.0-fast-generate-001', prompt: 'x', safety_setting: 'block_none' },
      '/safety_setting',
    ],
    [{ model: 'google/imagen-4.0-ultra-generate-001', prompt: 'x', num_images: 2 }, '/num_images'],
    [{ model: 'google/gemini-2.5-flash-image', prompt: 'x', aspect_ratio: '2:1' }, '/aspect_ratio'],
    [{ model: 'google/gemini-2.5-flash-image', prompt: 'x', num_images: 5 }, '/num_images'],
    [{ model: 'google/nano-banana-pro', prompt: 'x', resolution: '8K' }, '/resolution'],
    [
      {
        model: 'google/nano-banana-2',
        prompt: 'x',
        image_urls: Array(6).fill('https://e.com/a.png'),
      },
      '/image_urls',
    ],
    [{ model: 'dall-e-3', prompt: 'x' }, '/model'],
  ])('POST /v1/jobs %j → 400 at %s', async (body, path) => {
    expect(problemPath(await post('/v1/jobs', body))).toBe(path);
  });

  it('says whose parameter a refused field is not', async () => {
    const response = await post('/v1/jobs', {
      model: 'google/nano-banana-2',
      prompt: 'x',
      seed: 1,
    });
    expect(response.json().errors[0]).toEqual({
      path: '/seed',
      message: 'is not a parameter of google/nano-banana-2',
    });
  });

  it('accepts each model with its own fields, short and long ids alike', async () => {
    for (const body of [
      { prompt: 'x', seed: 1, person_generation: 'allow_all' },
      { model: 'google/imagen-4.0-generate-001', prompt: 'x', seed: 2 },
      { model: 'imagen-4.0-fast-generate-001', prompt: 'x', num_images: 4 },
      { model: 'google/gemini-3-1-flash-image-preview', prompt: 'x', resolution: '4K' },
      { model: 'google/gemini-3-pro-image-preview', prompt: 'x', enable_web_search: true },
      { model: 'google/gemini-2.5-flash-image', prompt: 'x', aspect_ratio: '21:9', n: 3 },
    ]) {
      const response = await post('/v1/jobs', body);
      expect(response.statusCode, response.body).toBe(202);
    }
  });

  it('stores the model by its registry id, with its own defaults', async () => {
    const response = await post('/v1/jobs', { model: 'imagen-4.0-generate-001', prompt: 'x' });
    expect(response.json().request).toMatchObject({
      model: 'google/imagen-4.0-generate-001',
      convert_base64_to_url: true,
      person_generation: 'allow_adult',
    });
    const banana = await post('/v1/jobs', { model: 'google/nano-banana-2', prompt: 'y' });
    expect(banana.json().request).toEqual({
      model: 'google/nano-banana-2',
      prompt: 'y',
      num_images: 1,
      aspect_ratio: '1:1',
      convert_base64_to_url: false,
      resolution: '1K',
      enable_web_search: false,
    });
  });

  it('names batch lines by index, after merging defaults', async () => {
    const response = await post('/v1/batches', {
      defaults: { model: 'google/nano-banana-2' },
      jobs: [{ prompt: 'a' }, { prompt: 'b' }, { prompt: 'c', seed: 5 }],
    });
    expect(problemPath(response)).toBe('/jobs/2/seed');
    expect(response.json().detail).toMatch(/google\/nano-banana-2/);
  });
});

describe('image_urls', () => {
  it('refuses private addresses like webhook targets', async () => {
    const body = {
      model: 'google/nano-banana-2',
      prompt: 'x',
      image_urls: ['https://example.com/ok.png', 'https://169.254.169.254/latest'],
    };
    expect(problemPath(await post('/v1/jobs', body))).toBe('/image_urls/1');
    const plain = { ...body, image_urls: ['http://example.com/a.png'] };
    expect(problemPath(await post('/v1/jobs', plain))).toBe('/image_urls/0');
  });

  it("another tenant's image, or none, is the same 400 that reveals nothing", async () => {
    const theirs = await post(
      '/v1/jobs',
      { prompt: 'theirs' },
      { authorization: `Bearer ${GLOBEX_KEY}` },
    );
    const foreign = { job: theirs.json().id, index: 0 };
    const missing = { job: 'job_00000000000000000000000000', index: 0 };
    const answers = await Promise.all(
      [foreign, missing].map((ref) =>
        post('/v1/jobs', { model: 'google/nano-banana-2', prompt: 'x', image_urls: [ref] }),
      ),
    );
    for (const answer of answers) expect(problemPath(answer)).toBe('/image_urls/0');
    expect(answers[0]!.json().errors[0].message).not.toMatch(/globex|another tenant/i);
    const shown = (answer: (typeof answers)[number], id: string) => {
      const { detail, errors } = answer.json();
      return JSON.stringify({ detail, errors }).replaceAll(id, 'ID');
    };
    expect(shown(answers[0]!, foreign.job)).toEqual(shown(answers[1]!, missing.job));
  });
});

describe('GET /v1/models', () => {
  it('lists every model with its parameters, sizes, determinism and shutdown', async () => {
    const response = await app.inject({ url: '/v1/models', headers: AUTH });
    expect(response.statusCode, response.body).toBe(200);
    const { data } = response.json() as { data: Record<string, unknown>[] };
    expect(data.map((model) => model.id)).toEqual([
      'imagen-3.0-generate-002',
      'google/imagen-4.0-generate-001',
      'google/imagen-4.0-fast-generate-001',
      'google/imagen-4.0-ultra-generate-001',
      'google/nano-banana-2',
      'google/nano-banana-pro',
      'google/gemini-2.5-flash-image',
    ]);
    const banana = data.find((model) => model.id === 'google/nano-banana-2')!;
    expect(banana).toMatchObject({
      aliases: ['google/gemini-3-1-flash-image-preview'],
      provider_ids: { google: 'gemini-3.1-flash-image' },
      deterministic: false,
      shutdown_at: null,
    });
    expect(banana.sizes).toContainEqual({
      aspect_ratio: '16:9',
      resolution: '4K',
      width: 5376,
      height: 3072,
    });
    const parameters = banana.parameters as { properties: Record<string, unknown> };
    expect(Object.keys(parameters.properties)).not.toContain('seed');
    expect(data[0]).toMatchObject({
      deterministic: true,
      successor: 'google/imagen-4.0-generate-001',
    });
  });
});
