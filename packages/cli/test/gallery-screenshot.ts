import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';

/** Debian's chromium; CI installs it with apt. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Opens a gallery from disk (file://, as a user would) with the network blocked, and writes a
 * full-page screenshot. Returns the PNG and the URLs the page tried to fetch off disk.
 */
export async function screenshotGallery(
  indexHtml: string,
  outPng: string,
  viewport = { width: 1280, height: 900 },
): Promise<{ png: Buffer; offDiskRequests: string[]; brokenImages: number }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport });
    const offDiskRequests: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      offDiskRequests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(indexHtml).href, { waitUntil: 'load' });
    // Lazy images below the fold load once scrolled to; a full-page shot needs them all.
    // (Strings, because this project's TypeScript has no DOM types.)
    await page.evaluate(`Promise.all(Array.from(document.images, (image) => {
      image.loading = 'eager';
      return image.complete ? null : new Promise((done) => {
        image.addEventListener('load', done, { once: true });
        image.addEventListener('error', done, { once: true });
      });
    }))`);
    const brokenImages = await page.evaluate<number>(
      'Array.from(document.images).filter((image) => image.naturalWidth === 0).length',
    );
    const png = await page.screenshot({ fullPage: true, type: 'png' });
    await writeFile(outPng, png);
    return { png, offDiskRequests, brokenImages };
  } finally {
    await browser.close();
  }
}

/** How many distinct colours a PNG has: a blank or broken page has a handful. */
export function distinctColours(png: Buffer): number {
  const { data } = PNG.sync.read(png);
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) {
    colours.add(((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0));
  }
  return colours.size;
}
