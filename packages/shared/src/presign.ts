import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { formatUrl } from '@aws-sdk/core/util';
import { getSignedUrl, S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { extendedEncodeURIComponent } from '@smithy/core/protocols';

/** What every presigned GET of one bucket shares: learned once from the SDK's own URL. */
interface Template {
  presigner: S3RequestPresigner;
  protocol: string;
  hostname: string;
  port: number | undefined;
  /** The path before the key: `/bucket/` (path style) or `/` (virtual-hosted). */
  pathPrefix: string;
  /** The query every GetObject URL carries besides the signature's (`x-id=GetObject`). */
  query: Record<string, string>;
  region: string;
  service: string;
}

const PROBE_KEY = 'probe';

/** The query parameters the signer itself writes; the probe's others are the request's own. */
const SIGNER_PARAMS = new Set([
  'x-amz-algorithm',
  'x-amz-content-sha256',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

/** Null when this client's URLs sign more than `host`: then every URL is the SDK's. */
async function learnTemplate(
  client: S3Client,
  bucket: string,
  expiresIn: number,
): Promise<Template | null> {
  const probe = new URL(
    await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: PROBE_KEY }), {
      expiresIn,
    }),
  );
  if (!probe.pathname.endsWith(`/${PROBE_KEY}`)) {
    throw new Error(`unexpected presigned URL path: ${probe.pathname}`);
  }
  // `AKID/20261202/us-east-1/s3/aws4_request`: the scope the SDK's endpoint rules chose.
  const scope = probe.searchParams.get('X-Amz-Credential')?.split('/') ?? [];
  const [region, service] = [scope.at(-3), scope.at(-2)];
  if (!region || !service) throw new Error('presigned URL without a credential scope');
  // Signed headers other than `host` would have to be rebuilt per key: not worth guessing.
  if (probe.searchParams.get('X-Amz-SignedHeaders') !== 'host') return null;
  // `x-id=GetObject`, and headers the signer hoisted into the query (`x-amz-checksum-mode`):
  // sent as query parameters from the start, they sign the same.
  const query: Record<string, string> = {};
  for (const [name, value] of probe.searchParams) {
    if (!SIGNER_PARAMS.has(name.toLowerCase())) query[name] = value;
  }
  return {
    presigner: new S3RequestPresigner({
      ...client.config,
      signingName: service,
      region: async () => region,
    }),
    protocol: probe.protocol,
    hostname: probe.hostname,
    port: probe.port ? Number(probe.port) : undefined,
    pathPrefix: probe.pathname.slice(0, -PROBE_KEY.length),
    query,
    region,
    service,
  } satisfies Template;
}

/**
 * Presigned GetObject URLs of one bucket, the same as the SDK's `getSignedUrl` makes, without
 * its per-URL work: `getSignedUrl` resolves the endpoint through the command's middleware stack
 * and builds a new signer (whose signing-key cache starts empty) for every URL, about 0.3 ms
 * each, where a job's webhook and view need one per image. The endpoint, the signing region and
 * the signer are learned once, from one URL the SDK presigns itself; each key is then signed
 * alone by that signer, with the client's own credentials provider (so refreshed credentials
 * are still picked up). The test checks the URLs equal the SDK's.
 */
export function createGetPresigner(client: S3Client, bucket: string, expiresIn: number) {
  let template: Promise<Template | null> | null = null;
  return async (key: string, signingDate = new Date()): Promise<string> => {
    template ??= learnTemplate(client, bucket, expiresIn).catch((error: unknown) => {
      template = null;
      throw error;
    });
    const t = await template;
    if (!t) {
      const command = new GetObjectCommand({ Bucket: bucket, Key: key });
      return getSignedUrl(client, command, { expiresIn, signingDate });
    }
    // Each segment as the SDK's serializer encodes a key's path.
    const path = t.pathPrefix + key.split('/').map(extendedEncodeURIComponent).join('/');
    const signed = await t.presigner.presign(
      {
        method: 'GET',
        protocol: t.protocol,
        hostname: t.hostname,
        ...(t.port ? { port: t.port } : {}),
        path,
        query: { ...t.query },
        headers: {},
      },
      { expiresIn, signingDate, signingRegion: t.region, signingService: t.service },
    );
    // As `getSignedUrl` writes its URL.
    return formatUrl(signed);
  };
}
