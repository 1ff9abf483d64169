import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadBucketCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { Config } from './config.ts';
import { createGetPresigner } from './presign.ts';

/** The id of the bucket lifecycle rule `IMAGE_RETENTION_DAYS` keeps (other rules are left alone). */
export const IMAGE_RETENTION_RULE = 'imagen-queue-image-retention';

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
  /** `IMAGE_RETENTION_DAYS`: how long stored images are kept; null = kept. */
  imageRetentionDays: number | null;
  /** Writes the object; the same key written twice holds one object, never two. */
  putImage(input: PutImageInput): Promise<{ sha256: string; bytes: number }>;
  presignGet(key: string): Promise<string>;
  /** Server-side copy (S3 `CopyObject`): the bytes never pass through us. */
  copyObject(from: string, to: string, signal?: AbortSignal): Promise<void>;
  /** Creates the bucket when missing; safe to call from many processes at once. */
  ensureBucket(): Promise<void>;
  /**
   * Sets (retention days) or removes (null) this system's lifecycle rule on the bucket, keeping
   * any other rule. Throws what S3 answers (a server without lifecycle support: NotImplemented).
   */
  applyImageRetention(days: number | null): Promise<'set' | 'removed' | 'unchanged'>;
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
  const presign = createGetPresigner(client, bucket, config.presignTtlSeconds);

  return {
    bucket,
    imageRetentionDays: config.imageRetentionDays,
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
    presignGet: (key) => presign(key),
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
    async applyImageRetention(days) {
      let rules: LifecycleRule[] = [];
      try {
        const current = await client.send(
          new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }),
        );
        rules = current.Rules ?? [];
      } catch (error) {
        if ((error as Error).name !== 'NoSuchLifecycleConfiguration') throw error;
      }
      const others = rules.filter((rule) => rule.ID !== IMAGE_RETENTION_RULE);
      const ours = rules.find((rule) => rule.ID === IMAGE_RETENTION_RULE);
      if (days === null) {
        if (!ours) return 'unchanged';
        if (others.length === 0) {
          await client.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }));
        } else {
          await client.send(
            new PutBucketLifecycleConfigurationCommand({
              Bucket: bucket,
              LifecycleConfiguration: { Rules: others },
            }),
          );
        }
        return 'removed';
      }
      if (ours?.Expiration?.Days === days && ours.Status === 'Enabled') return 'unchanged';
      // Images live under `{tenant}/…` (imageKey): the prefix they share is the bucket's root.
      const rule: LifecycleRule = {
        ID: IMAGE_RETENTION_RULE,
        Status: 'Enabled',
        Filter: { Prefix: '' },
        Expiration: { Days: days },
      };
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket,
          LifecycleConfiguration: { Rules: [...others, rule] },
        }),
      );
      return 'set';
    },
    async ping() {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    },
    close() {
      client.destroy();
    },
  };
}
