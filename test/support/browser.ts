import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_PATH } from '../../packages/cli/test/gallery-screenshot.ts';

/** Debian's headless Chromium, as the gallery test runs it; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
