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
  serveLifecycle(server);
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop: () => server.close(),
  };
}

type KoaContext = {
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number;
  body: unknown;
  type: string;
  req: AsyncIterable<Buffer>;
};

/**
 * Bucket lifecycle configuration (`?lifecycle`: PUT, GET, DELETE), which s3rver answers with
 * NotImplemented: stored per bucket and read back as written, so a client's rule can be set and
 * checked. Nothing expires here; that is the real S3's (or MinIO's) part.
 */
function serveLifecycle(server: S3rver): void {
  const rules = new Map<string, string>();
  const middleware = (server as unknown as { middleware: unknown[] }).middleware;
  middleware.unshift(async (ctx: KoaContext, next: () => Promise<void>) => {
    const bucket = /^\/([^/]+)\/?$/.exec(ctx.path)?.[1];
    if (!bucket || !('lifecycle' in ctx.query)) return next();
    if (ctx.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      rules.set(bucket, Buffer.concat(chunks).toString('utf8'));
      ctx.status = 200;
      ctx.body = '';
    } else if (ctx.method === 'DELETE') {
      rules.delete(bucket);
      ctx.status = 204;
    } else if (ctx.method === 'GET') {
      const stored = rules.get(bucket);
      ctx.type = 'application/xml';
      if (stored) {
        ctx.status = 200;
        ctx.body = stored;
      } else {
        ctx.status = 404;
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchLifecycleConfiguration</Code>' +
          `<Message>The lifecycle configuration does not exist</Message><BucketName>${bucket}</BucketName></Error>`;
      }
    } else return next();
  });
}
