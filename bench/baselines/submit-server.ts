// Baseline of the `submit` figure: a bare Fastify route with the same JSON-schema validation
// (the API's schema and validator compiler) and one `queue.add`. No auth, no job record, no
// rate limit, no idempotency, no logs: what the API's POST /v1/jobs costs on top is the figure.
import { randomUUID } from 'node:crypto';
import { JobSubmission } from '@imagen-queue/api/job-schemas';
import { createValidatorCompiler } from '@imagen-queue/api/validation';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const { REDIS_URL = '', QUEUE_PREFIX = 'bench-baseline', PORT = '0' } = process.env;
const queue = new Queue('generation', {
  connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }),
  prefix: `{${QUEUE_PREFIX}}`,
});
const app = Fastify();
app.setValidatorCompiler(createValidatorCompiler());
app.post('/v1/jobs', { schema: { body: JobSubmission } }, async (request, reply) => {
  const id = `job_${randomUUID()}`;
  await queue.add('generate-images', request.body as object, {
    jobId: id,
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3600, count: 10_000 },
  });
  return reply.code(202).send({ id, status: 'queued' });
});
await app.listen({ port: Number(PORT), host: '127.0.0.1' });
process.stdout.write('ready\n');
process.once('SIGTERM', async () => {
  await app.close();
  await queue.close();
  process.exit(0);
});
