import type { Resolver } from '@imagen-queue/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImagenClient } from './client.ts';
import { createEmulator, type Emulator } from './emulator/server.ts';
import { params } from './test-params.ts';
import type { ImagenClient, ImagenClientOptions } from './types.ts';

/**
 * Reference images the Google adapter downloads (to send inline) are fetched from inside our
 * network: a tenant's URL must not reach a private or metadata address, whatever its name
 * resolves to; our own storage's origin (private in tests, as S3 may be) is trusted.
 */
let emulator: Emulator;
let referenceUrl: string;
const clients: ImagenClient[] = [];
const asked: string[] = [];
/** Names a tenant could register, resolving where an attacker wants. */
const resolver: Resolver = async (hostname) => {
  asked.push(hostname);
  const address = { 'metadata.example.com': '169.254.169.254', 'intranet.example.com': '10.1.2.3' }[
    hostname
  ];
  return address ? [{ address, family: 4 }] : [];
};

function google(referenceImages: ImagenClientOptions['referenceImages']) {
  const client = createImagenClient({
    provider: 'google',
    baseUrl: emulator.url,
    apiKey: 'k-123456',
    referenceImages: { resolver, ...referenceImages },
  });
  clients.push(client);
  return client;
}
const edit = (url: string) => params({ model: 'google/nano-banana-2', image_urls: [url] });

beforeAll(async () => {
  emulator = await createEmulator({ apiKey: 'k-123456' });
  emulator.setConfig({ smallImages: true });
  const answer = await fetch(`${emulator.url}/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: 'Bearer k-123456', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'google/imagen-4.0-generate-001', prompt: 'a reference' }),
  });
  referenceUrl = ((await answer.json()) as { data: { url: string }[] }).data[0]!.url;
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await emulator.close();
});

describe('reference image downloads (Google adapter)', () => {
  it('refuses a name resolving to the metadata or a private address, at connect time', async () => {
    const client = google({});
    for (const host of ['metadata.example.com', 'intranet.example.com']) {
      await expect(client.generate(edit(`https://${host}/cat.png`))).rejects.toMatchObject({
        code: 'invalid_request',
        retryable: false,
        message: expect.stringMatching(new RegExp(`${host}.*not a public address`)),
      });
    }
    // The guard asked the resolver: the refusal is the connect-time check's, not a DNS miss.
    expect(asked).toEqual(['metadata.example.com', 'intranet.example.com']);
  });

  it('refuses a literal private address, which never reaches a resolver', async () => {
    const before = emulator.stats().requests;
    await expect(google({}).generate(edit(referenceUrl))).rejects.toMatchObject({
      code: 'invalid_request',
      retryable: false,
      message: expect.stringMatching(/private, loopback/),
    });
    expect(emulator.stats().requests).toBe(before);
  });

  it('fetches our own storage’s origin, private as it is, and caps the size', async () => {
    const origin = new URL(referenceUrl).origin;
    const edited = await google({ trustedOrigins: [origin] }).generate(edit(referenceUrl));
    expect(edited.images).toHaveLength(1);
    await expect(
      google({ trustedOrigins: [origin], maxBytes: 100 }).generate(edit(referenceUrl)),
    ).rejects.toMatchObject({
      code: 'invalid_request',
      retryable: false,
      message: expect.stringMatching(/over 100 bytes/),
    });
  });

  it('reaches a private address when private networks are allowed (tests, as for webhooks)', async () => {
    const edited = await google({ allowPrivateNetworks: true }).generate(edit(referenceUrl));
    expect(edited.images).toHaveLength(1);
  });
});
