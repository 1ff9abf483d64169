import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Job, type JobRecord, modelOf, TERMINAL_STATUSES, toJobView } from '@imagen-queue/contract';
import { followStream, streamTail } from '@imagen-queue/store';
import Type from 'typebox';
import { trackOpenRequests } from '../../lib/open-requests.ts';
import { ProblemError } from '../../lib/problem-error.ts';
import { checkReferenceImages } from '../../lib/reference-images.ts';
import { resolveParams } from '../../lib/submission.ts';
import { defaultFormat, fromDropIn, toDropInAnswer } from './drop-in.ts';
import { DropInRequest, DropInResponse } from './schemas.ts';

const DEFAULT_WAIT_S = 60;
const MAX_WAIT_S = 600;

const PreferHeaders = Type.Object({
  prefer: Type.Optional(
    Type.String({ description: '`wait=N`: seconds to wait for the images (default 60, max 600)' }),
  ),
});

/** `Prefer: wait=N` (RFC 7240), clamped; anything else in the header is ignored. */
export function preferredWaitSeconds(header: string | undefined): number {
  const match = /(?:^|[,;\s])wait\s*=\s*(\d+)/i.exec(header ?? '');
  if (!match) return DEFAULT_WAIT_S;
  return Math.min(MAX_WAIT_S, Number(match[1]));
}

/** A finished job that has no images, said the way an HTTP client of the provider expects. */
function jobProblem(job: JobRecord): ProblemError {
  const code = job.error?.code ?? job.status;
  const detail = `job ${job.id} ${job.status}: ${job.error?.message ?? code}`;
  if (job.status === 'canceled') return new ProblemError(409, 'Conflict', detail);
  if (code === 'content_filtered' || code === 'invalid_request') {
    return new ProblemError(422, 'Unprocessable Content', detail, {
      errors: [{ path: '/prompt', message: job.error?.message ?? code }],
    });
  }
  return new ProblemError(502, 'Bad Gateway', detail);
}

/**
 * The provider's own endpoint, queued: a client written for `POST /v1/images/generations` (the
 * AI/ML API's, or OpenAI's SDK) can point here and gain retries, rate-limit handling and S3
 * storage. It answers the provider's
 * shape when the job finishes within `Prefer: wait=N` seconds, else 202 with the job to poll.
 */
const images: FastifyPluginAsyncTypebox = async (fastify) => {
  const track = trackOpenRequests(fastify);
  fastify.post(
    '/v1/images/generations',
    {
      schema: {
        body: DropInRequest,
        headers: PreferHeaders,
        response: { 200: DropInResponse, 202: Job },
      },
    },
    async (request, reply) => {
      const { input, format } = fromDropIn(request.body);
      const params = resolveParams(input);
      await checkReferenceImages(params, {
        tenant: request.tenant,
        jobStore: fastify.jobStore,
        allowPrivateNetworks: fastify.config.webhooks.allowPrivateNetworks,
      });
      const wait = preferredWaitSeconds(request.headers.prefer);
      let { record: job } = await fastify.jobService.submit({
        tenant: request.tenant,
        request: params,
        metadata: {},
        webhookUrl: null,
        priority: 0,
        requestId: request.id,
      });
      const stream = fastify.jobStore.keys.jobEvents(job.tenant, job.id);
      const from = await streamTail(fastify.redis, stream);
      const open = track(request);
      const done = AbortSignal.any([open.signal, AbortSignal.timeout(wait * 1000)]);
      try {
        job = (await fastify.jobStore.get(job.tenant, job.id)) ?? job;
        if (!TERMINAL_STATUSES.includes(job.status)) {
          for await (const entries of followStream(fastify.redis, stream, from, done)) {
            if (entries.some((entry) => TERMINAL_STATUSES.includes(entry.fields.status as never))) {
              break;
            }
          }
          job = (await fastify.jobStore.get(job.tenant, job.id)) ?? job;
        }
      } finally {
        open.release();
      }
      if (open.closing) reply.header('connection', 'close');
      const view = await toJobView(job, fastify.storage);
      if (!TERMINAL_STATUSES.includes(job.status)) {
        return reply
          .code(202)
          .header('location', `/v1/jobs/${job.id}`)
          .header('preference-applied', `wait=${wait}`)
          .send(view);
      }
      if (job.status !== 'succeeded' || !view.result) throw jobProblem(job);
      const answer = await toDropInAnswer(
        view,
        format ?? defaultFormat(modelOf(job.request)),
        job.finishedAt ?? job.createdAt,
      );
      return reply.code(200).send(answer);
    },
  );
};

export default images;
