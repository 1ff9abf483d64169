import { describe, expect, it } from 'vitest';
import { presignedOrigins } from './storage.ts';

describe('presignedOrigins', () => {
  it('is the endpoint and the bucket’s subdomain of it, path and virtual-hosted style', () => {
    // An IP endpoint is always path style.
    expect(presignedOrigins({ endpoint: 'http://10.0.0.7:9000/', bucket: 'images' })).toEqual([
      'http://10.0.0.7:9000',
    ]);
    expect(presignedOrigins({ endpoint: 'https://minio.internal', bucket: 'b' })).toEqual([
      'https://minio.internal',
      'https://b.minio.internal',
    ]);
  });

  it('is nothing for AWS’s own (public) endpoints', () => {
    expect(presignedOrigins({ endpoint: null, bucket: 'images' })).toEqual([]);
  });
});
