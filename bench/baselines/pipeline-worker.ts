// Baseline of the `pipeline` figure: a minimal BullMQ worker that makes the same provider call
// (our Imagen client, so the same HTTP and decoding) and one PutObject per image, and nothing
// else: no job record, no transitions, no limiter, no spool, no webhooks, no logs.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { GenerationParams } from '@imagen-queue/contract';
import { createImagenClient } from '@imagen-queue/imagen';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const env = process.env;
const concurrency = Number(env.WORKER_CONCURRENCY ?? 4);
const imagen = createImagenClient({
  provider: 'aimlapi',
  baseUrl: env.IMAGEN_BASE_URL ?? '',
  apiKey: env.IMAGEN_API_KEY ?? 'emulator-key',
  timeoutMs: 60_000,
  connections: concurrency,
});
const s3 = new S3Client({
  endpoint: env.S3_ENDPOINT,
  region: env.S3_REGION ?? 'us-east-1',
  forcePathStyle: true,
  credentials: {
    accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
  },
});

const worker = new Worker<GenerationParams>(
  'generation',
  async (job) => {
    const { images } = await imagen.generate(job.data);
    await Promise.all(
      images.map((image, i) =>
        s3.send(
          new PutObjectCommand({
            Bucket: env.S3_BUCKET,
            Key: `baseline/${job.id}/${i}.png`,
            Body: image.bytes,
            ContentType: image.mimeType,
          }),
        ),
      ),
    );
  },
  {
    connection: new Redis(env.REDIS_URL ?? '', { maxRetriesPerRequest: null }),
    prefix: `{${env.QUEUE_PREFIX}}`,
    concurrency,
  },
);
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.once('SIGTERM', async () => {
  await worker.close();
  await imagen.close();
  s3.destroy();
  process.exit(0);
});
