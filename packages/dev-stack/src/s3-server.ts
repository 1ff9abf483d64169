import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';
import { freePort } from './free-port.ts';

export interface S3ServerOptions {
  /** @defaultValue a free port */
  port?: number;
  /** Where objects are kept on disk. */
  dir: string;
  /** Buckets to create at start. */
  buckets?: string[];
}

export interface S3Server {
  endpoint: string;
  port: number;
  /** s3rver accepts any credentials; these are what clients are told to use. */
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

/** An S3-compatible server in this process (the `s3rver` package), on loopback. */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  mkdirSync(options.dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    silent: true,
    directory: options.dir,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop: () => server.close(),
  };
}
