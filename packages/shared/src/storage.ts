import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Config } from './config.ts';

/** Where the contract says an image lives: `{tenant}/{batch_id or "single"}/{job_id}/{index}.png`. */
export function imageKey(tenant: string, batchId: string | null, jobId: string, index: number) {
  return `${tenant}/${batchId ?? 'single'}/${jobId}/${index}.png`;
}

export interface PutImageInput {
  key: string;
  bytes: Uint8Array;
  contentType: string;
  /** Stored as `x-amz-meta-*`; values must be ASCII. */
  metadata: Record<string, string>;
  signal?: AbortSignal;
}

export interface Storage {
  bucket: string;
  /** Writes the object; the same key written twice holds one object, never two. */
  putImage(input: PutImageInput): Promise<{ sha256: string; bytes: number }>;
  presignGet(key: string): Promise<string>;
  /** Server-side copy (S3 `CopyObject`): the bytes never pass through us. */
  copyObject(from: string, to: string, signal?: AbortSignal): Promise<void>;
  /** Creates the bucket when missing; safe to call from many processes at once. */
  ensureBucket(): Promise<void>;
  ping(): Promise<void>;
  close(): void;
}

/**
 * The origins our presigned URLs point at when S3 is a configured endpoint (which may be on a
 * private network): the endpoint itself (path style), and the bucket's subdomain of it
 * (virtual-hosted style). None for AWS's own endpoints, which are public addresses.
 */
export function presignedOrigins(config: Pick<Config['s3'], 'endpoint' | 'bucket'>): string[] {
  if (!config.endpoint) return [];
  const endpoint = new URL(config.endpoint);
  const virtualHosted = new URL(endpoint.href);
  virtualHosted.hostname = `${config.bucket}.${endpoint.hostname}`;
  // An IP address has no subdomains (the URL refuses the name; the SDK uses path style there).
  const named = virtualHosted.hostname !== endpoint.hostname;
  return named ? [endpoint.origin, virtualHosted.origin] : [endpoint.origin];
}

export function createStorage(config: Config['s3']): Storage {
  const client = new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    forcePathStyle: config.forcePathStyle,
    // Third-party S3 servers (MinIO, s3rver, R2) reject or mishandle the SDK's default
    // CRC32 trailers; send checksums only where the API requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    // Without these an unreachable S3 holds an upload (and the job's slot) forever.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
  });
  const bucket = config.bucket;

  return {
    bucket,
    async putImage({ key, bytes, contentType, metadata, signal }) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ContentLength: bytes.byteLength,
          ContentMD5: createHash('md5').update(bytes).digest('base64'),
          Metadata: { ...metadata, sha256 },
        }),
        signal ? { abortSignal: signal } : {},
      );
      return { sha256, bytes: bytes.byteLength };
    },
    async copyObject(from, to, signal) {
      await client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: to,
          CopySource: `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
        }),
        signal ? { abortSignal: signal } : {},
      );
    },
    presignGet(key) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: config.presignTtlSeconds,
      });
    },
    async ensureBucket() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        if (!(error instanceof S3ServiceException) || error.$metadata.httpStatusCode !== 404) {
          throw error;
        }
        try {
          await client.send(new CreateBucketCommand({ Bucket: bucket }));
        } catch (createError) {
          const name = (createError as Error).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
            throw createError;
        }
      }
    },
    async ping() {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    },
    close() {
      client.destroy();
    },
  };
}
