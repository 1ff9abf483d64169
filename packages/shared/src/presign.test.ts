import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { createGetPresigner } from './presign.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' };
const clients: Record<string, S3ClientConfig> = {
  'a path-style endpoint': {
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9000',
    forcePathStyle: true,
    credentials,
  },
  'the storage’s own settings': {
    region: 'us-east-1',
    endpoint: 'http://localhost:4566',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  },
  'a virtual-hosted endpoint': {
    region: 'auto',
    endpoint: 'https://minio.internal',
    credentials,
  },
  'AWS, with a session token': {
    region: 'eu-west-1',
    credentials: { ...credentials, sessionToken: 'token/with+odd=chars' },
  },
};
const keys = [
  'tenant/bat_01/job_01/0.png',
  'tenant/job_02/3.png',
  "odd tenant/ü+ (x)!*'~/a=b&c.png",
];

describe('createGetPresigner', () => {
  for (const [name, config] of Object.entries(clients)) {
    it(`makes the SDK’s own URL, for ${name}`, async () => {
      const client = new S3Client(config);
      const presign = createGetPresigner(client, 'images', 900);
      const signingDate = new Date('2026-12-02T11:22:33Z');
      for (const key of keys) {
        const sdk = await getSignedUrl(
          client,
          new GetObjectCommand({ Bucket: 'images', Key: key }),
          { expiresIn: 900, signingDate },
        );
        expect(await presign(key, signingDate)).toBe(sdk);
      }
      client.destroy();
    });
  }

  it('signs with the time of the call', async () => {
    const client = new S3Client(clients['a path-style endpoint']!);
    const presign = createGetPresigner(client, 'images', 60);
    const url = new URL(await presign('t/j/0.png'));
    const signedAt = url.searchParams.get('X-Amz-Date')!;
    const parsed = Date.parse(
      signedAt.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    expect(Math.abs(parsed - Date.now())).toBeLessThan(5_000);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    client.destroy();
  });
});
