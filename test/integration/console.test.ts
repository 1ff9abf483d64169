import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctColours } from '../../packages/cli/test/gallery-screenshot.ts';
import { launchChromium } from '../support/browser.ts';
import {
  ROOT,
  type RunningProcess,
  serviceEnv,
  startApi,
  startEmulator,
  startWorker,
} from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

const KEY = 'acme-console-key-1';
const PROMPTS = ['A red fox in fresh snow', 'Lighthouse on a cliff at dawn', 'Bowl of ramen'];

interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

/**
 * Resolves once `expression` (run in the page) is true. Not `waitForFunction`: its polling
 * evaluates strings with `eval`, which the console's Content-Security-Policy rightly refuses.
 */
const until = (page: Page, expression: string, timeout = 60_000) =>
  expect.poll(() => page.evaluate<boolean>(expression), { timeout, interval: 100 }).toBe(true);

describe('the web console, in headless Chromium', () => {
  const prefix = testPrefix();
  let emulator: RunningProcess & { url: string };
  let api: RunningProcess & { url: string };
  let worker: RunningProcess;
  let browser: Browser;
  let hooks: Receiver;

  beforeAll(async () => {
    emulator = await startEmulator({ EMULATOR_LATENCY_MS: '100' });
    hooks = await startReceiver();
    const env = serviceEnv(prefix, {
      API_KEYS: `acme:${KEY}`,
      IMAGEN_BASE_URL: emulator.url,
      IMAGEN_API_KEY: 'emulator-key',
      WORKER_SHUTDOWN_GRACE_MS: '2000',
      // The test's webhook receiver listens on loopback.
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([worker?.stop(), api?.stop(), emulator?.stop(), hooks?.close()]);
  });

  const signIn = async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${api.url}/console`);
    await page.locator('#api-key').fill(KEY);
    await page.keyboard.press('Enter');
    await page.locator('nav a', { hasText: 'New batch' }).waitFor();
    return page;
  };
  const get = async <T>(path: string) =>
    (await (
      await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json()) as T;

  it('signs in, submits three prompts, watches them finish, shows the images, cancels and retries', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen: Promise<SeenRequest>[] = [];
    page.on('request', (request) => {
      seen.push(
        request.allHeaders().then((headers) => ({
          method: request.method(),
          url: request.url(),
          authorization: headers.authorization,
        })),
      );
    });
    const failed: string[] = [];
    page.on('pageerror', (error) => failed.push(String(error)));

    // Signing in, by keyboard.
    await page.goto(`${api.url}/console`);
    await page.locator('#api-key').fill(KEY);
    await page.keyboard.press('Enter');
    await page.locator('nav a', { hasText: 'New batch' }).waitFor();

    // Three prompts pasted, one a line.
    await page.locator('nav a', { hasText: 'New batch' }).click();
    await page.locator('#prompts').fill(PROMPTS.join('\n'));
    await page.locator('#submit-form button[type=submit]').click();
    await page.waitForURL(/#\/batches\/bat_[0-9a-z]{26}$/);
    const batchId = new URL(page.url()).hash.split('/').pop()!;

    // Live progress, from the event stream, then the three images loaded (not blank).
    await until(page, `document.getElementById('progress-text')?.textContent === '3/3'`);
    await until(
      page,
      `(() => { const images = [...document.querySelectorAll('#gallery img')];
        return images.length === 3 && images.every((i) => i.complete && i.naturalWidth > 0); })()`,
    );
    expect(await page.locator('#batch-status').textContent()).toBe('completed');

    // The one opened at full size shows what made it.
    await page.locator('#gallery button').first().click();
    await until(page, `document.getElementById('viewer-image')?.naturalWidth > 0`);
    const viewer = (await page.locator('#viewer').textContent()) ?? '';
    const jobId = (await page.locator('#viewer-title').textContent())!;
    const job = (await (
      await fetch(`${api.url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json()) as {
      request: { prompt: string; model: string };
      result: { images: { sha256: string }[] };
    };
    expect(PROMPTS).toContain(job.request.prompt);
    expect(viewer).toContain(job.request.prompt);
    expect(viewer).toContain(job.request.model);
    expect(viewer).toContain(job.result.images[0]!.sha256);
    await page.keyboard.press('Escape');
    expect(await page.locator('#viewer').getAttribute('open')).toBeNull();

    // test-results/ by default; UPDATE_DOCS=1 refreshes the README's picture instead.
    const target = process.env.UPDATE_DOCS
      ? resolve(ROOT, 'docs/console.png')
      : resolve(ROOT, 'test-results/console.png');
    await mkdir(resolve(target, '..'), { recursive: true });
    const png = await page.screenshot({ fullPage: true, type: 'png' });
    await writeFile(target, png);
    expect(distinctColours(png)).toBeGreaterThan(2_000);

    // The lists show it.
    await page.locator('nav a', { hasText: 'Batches' }).click();
    await page.locator(`a[href="#/batches/${batchId}"]`).waitFor();

    // A second batch whose provider calls never answer, so it is surely unfinished when canceled.
    await fetch(`${emulator.url}/__emulator/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hangRate: 1 }),
    });
    await page.locator('nav a', { hasText: 'New batch' }).click();
    await page.locator('#prompts').fill('never answered one\nnever answered two');
    const following = page.waitForRequest((request) => request.url().endsWith('/events'));
    await page.locator('#submit-form button[type=submit]').click();
    await page.waitForURL(
      (url) => /#\/batches\/bat_/.test(url.hash) && !url.hash.endsWith(batchId),
    );
    // Hold the webhook log's reads from the cancel until the retry is answered: the batch's
    // event stream ends with the cancel and the page then reloads the log, so it is still
    // finishing that stream when the retry asks it to follow the batch again (it must).
    await following;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/v1/batches/*/webhooks*', async (route) => {
      await held;
      await route.continue();
    });
    await page.locator('#cancel-batch').click();
    await until(page, `document.getElementById('batch-status')?.textContent === 'canceled'`);
    await until(page, `document.getElementById('progress-text')?.textContent === '2/2'`);

    // Retry one of the canceled jobs, the provider answering again: it runs and succeeds.
    await fetch(`${emulator.url}/__emulator/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hangRate: 0 }),
    });
    // Both hung attempts were aborted by the cancel; a retry before BullMQ let go is a 409.
    await expect
      .poll(() => worker.output().split('attempt abandoned').length - 1, { timeout: 30_000 })
      .toBe(2);
    const row = page.locator('tr[data-job]').first();
    const retried = (await row.getAttribute('data-job'))!;
    for (let tries = 0; ; tries++) {
      // The cancel's message may still show: only the answer to this click counts.
      await page.evaluate(`document.getElementById('toast').textContent = ''`);
      await page.locator(`tr[data-job="${retried}"] button`, { hasText: 'Retry' }).click();
      await until(page, `document.getElementById('toast').textContent !== ''`);
      const said = (await page.locator('#toast').textContent()) ?? '';
      if (said.startsWith('Re-queued') || tries === 50) break;
      // "still stopping; retry in a few seconds": as a person would, try again shortly.
      await page.waitForTimeout(200);
    }
    release();
    await until(
      page,
      `document.querySelector('tr[data-job="${retried}"] .badge')?.textContent === 'succeeded'`,
    );

    // A phone-width screen shows the page without sideways scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(
      await page.evaluate<boolean>(
        'document.documentElement.scrollWidth <= document.documentElement.clientWidth',
      ),
    ).toBe(true);

    expect(failed).toEqual([]);
    expect(
      await page.evaluate<string | null>(`sessionStorage.getItem('imagen-queue.api-key')`),
    ).toBe(KEY);
    expect(await page.evaluate<number>('localStorage.length')).toBe(0);
    const requests = await Promise.all(seen);
    await page.close();

    // The key went in the Authorization header of every API call, and in no URL.
    const apiCalls = requests.filter((r) => new URL(r.url).pathname.startsWith('/v1/'));
    expect(apiCalls.length).toBeGreaterThan(5);
    for (const call of apiCalls) expect(call.authorization, call.url).toBe(`Bearer ${KEY}`);
    for (const request of requests) expect(request.url).not.toContain(KEY);
    // The API's own request log agrees: the calls came, and the key is nowhere in it.
    const log = api
      .output()
      .split('\n')
      .filter((line) => line.includes('"request completed"'))
      .map((line) => JSON.parse(line) as { url: string; statusCode: number });
    expect(log.some((line) => line.url === `/v1/batches/${batchId}/events`)).toBe(true);
    expect(log.filter((line) => line.url.startsWith('/v1/') && line.statusCode === 401)).toEqual(
      [],
    );
    expect(api.output()).not.toContain(KEY);
  });

  it('offers each model its own parameters, takes a dropped NDJSON file, and shows the webhook log', async () => {
    const page = await signIn();
    const failed: string[] = [];
    page.on('pageerror', (error) => failed.push(String(error)));
    await page.locator('nav a', { hasText: 'New batch' }).click();
    const { data: models } = await get<{
      data: { id: string; parameters: { properties: Record<string, { enum?: string[] }> } }[];
    }>('/v1/models');
    const options = (id: string) => page.locator(`#${id} option`).allTextContents();

    // The default model, Imagen 3, as /v1/models describes it: a seed, 1–4 images, no resolution.
    await page.locator('#seed').waitFor();
    expect(await page.locator('#num_images').getAttribute('max')).toBe('4');
    expect(await page.locator('#resolution').count()).toBe(0);
    // Nano Banana 2: its resolutions and ratios, and neither a seed nor an image count.
    await page.locator('#model').selectOption('google/nano-banana-2');
    await page.locator('#resolution').waitFor();
    const banana = models.find((m) => m.id === 'google/nano-banana-2')!.parameters.properties;
    expect(await options('resolution')).toEqual(banana.resolution!.enum);
    expect(await options('aspect_ratio')).toEqual(banana.aspect_ratio!.enum);
    expect(await page.locator('#seed').count()).toBe(0);
    expect(await page.locator('#num_images').count()).toBe(0);
    await page.locator('#resolution').selectOption('2K');
    await page.locator('#aspect_ratio').selectOption('16:9');
    await page.locator('#webhook_url').fill(hooks.url);

    // An NDJSON file dropped on the drop zone, as when dragged from the desktop; a line's own
    // fields win over the form's.
    const ndjson = [
      JSON.stringify({ prompt: 'A heron in the reeds' }),
      JSON.stringify({ prompt: 'A kite over the dunes', aspect_ratio: '1:1' }),
    ].join('\n');
    await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.items.add(new File([${JSON.stringify(ndjson)}], 'edits.ndjson', { type: 'application/x-ndjson' }));
      document.getElementById('drop').dispatchEvent(
        new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    })()`);
    await until(
      page,
      `document.querySelector('#drop .file-name')?.textContent === 'edits.ndjson: 2 lines'`,
    );
    await page.locator('#submit-form button[type=submit]').click();
    await page.waitForURL(/#\/batches\/bat_[0-9a-z]{26}$/);
    const batchId = new URL(page.url()).hash.split('/').pop()!;
    await until(page, `document.getElementById('progress-text')?.textContent === '2/2'`);

    // The jobs ran with the model and parameters chosen, at that model's 2K sizes.
    const { data: jobs } = await get<{
      data: {
        request: { prompt: string; model: string; resolution?: string };
        result: { images: { width: number; height: number }[] };
      }[];
    }>(`/v1/batches/${batchId}/jobs`);
    const sizes = Object.fromEntries(
      jobs.map((job) => {
        expect(job.request).toMatchObject({ model: 'google/nano-banana-2', resolution: '2K' });
        const [image] = job.result.images;
        return [job.request.prompt, [image!.width, image!.height]];
      }),
    );
    expect(sizes).toEqual({
      'A heron in the reeds': [2688, 1536],
      'A kite over the dunes': [2048, 2048],
    });

    // Once the batch's own event is delivered, the batch's page lists its deliveries.
    await expect
      .poll(() => hooks.received.some((d) => d.json.type === 'batch.completed'), {
        timeout: 30_000,
      })
      .toBe(true);
    await page.locator('nav a', { hasText: 'Batches' }).click();
    await page.locator(`a[href="#/batches/${batchId}"]`).click();
    await until(
      page,
      `[...document.querySelectorAll('#webhook-log tr')].some((row) =>
        row.textContent.includes('batch.completed') && row.textContent.includes('delivered'))`,
    );
    const log = (await page.locator('#webhook-log').textContent()) ?? '';
    expect(log).toContain('job.succeeded');
    expect(log).toMatch(/200 @/);

    // Back to the landing page, from the console's header.
    await page.locator('a.home').click();
    await page.waitForURL(`${api.url}/`);
    expect(await page.locator('a[href="/console"]').count()).toBe(1);
    // And from the API reference, whose description Swagger UI renders with its link.
    await page.goto(`${api.url}/docs`);
    await page.locator('.info a[href="/"]').waitFor({ timeout: 15_000 });
    expect(failed).toEqual([]);
    await page.close();
  });

  it('keeps the view of the newest route when an older one finishes reading after it', async () => {
    const page = await signIn();
    // The models list held back until the Jobs view is up, as a slow server would.
    const held = Promise.withResolvers<void>();
    await page.route('**/v1/models', async (route) => {
      await held.promise;
      await route.continue();
    });
    // Counts the models answers the page has read, one task after the read: by then what the
    // read resumed (the New batch view's render, or its refusal to render) has run.
    await page.evaluate(`(() => {
      window.modelsRead = 0;
      const text = Response.prototype.text;
      Response.prototype.text = function () {
        const read = text.call(this);
        if (this.url.endsWith('/v1/models')) {
          read.then(() => setTimeout(() => { window.modelsRead += 1; }));
        }
        return read;
      };
    })()`);
    await page.locator('nav a', { hasText: 'New batch' }).click();
    await page.locator('nav a', { hasText: 'Jobs' }).click();
    await page.locator('h1', { hasText: 'Jobs' }).waitFor();
    held.resolve();
    await until(page, 'window.modelsRead === 1');
    expect(await page.locator('main h1').allTextContents()).toEqual(['Jobs']);
    expect(await page.locator('#prompts').count()).toBe(0);
    await page.close();
  });
});
