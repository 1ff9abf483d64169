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

  beforeAll(async () => {
    emulator = await startEmulator({ EMULATOR_LATENCY_MS: '100' });
    const env = serviceEnv(prefix, {
      API_KEYS: `acme:${KEY}`,
      IMAGEN_BASE_URL: emulator.url,
      IMAGEN_API_KEY: 'emulator-key',
      WORKER_SHUTDOWN_GRACE_MS: '2000',
    });
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([worker?.stop(), api?.stop(), emulator?.stop()]);
  });

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
    await page.locator('#submit-form button[type=submit]').click();
    await page.waitForURL(
      (url) => /#\/batches\/bat_/.test(url.hash) && !url.hash.endsWith(batchId),
    );
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
});
