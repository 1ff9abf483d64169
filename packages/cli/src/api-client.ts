import type { paths } from '@imagen-queue/openapi-client';
import createClient from 'openapi-fetch';
import type { Batch, GenerationInput, Job, JobPage, JobStatus, Model } from './api-types.ts';
import { saveResults } from './download/save-results.ts';
import { ApiError, CliError, type Problem } from './errors.ts';

export interface ApiClient {
  baseUrl: string;
  submitBatch(jobs: GenerationInput[], options?: { webhookUrl?: string }): Promise<Batch>;
  getBatch(id: string): Promise<Batch>;
  listBatchJobs(
    id: string,
    page?: { status?: JobStatus; cursor?: string; limit?: number },
  ): Promise<JobPage>;
  /** Every job of the batch, in submission order, following `next_cursor`. */
  batchJobs(id: string): AsyncGenerator<Job>;
  getJob(id: string): Promise<Job>;
  cancelJob(id: string): Promise<Job>;
  cancelBatch(id: string): Promise<Batch>;
  /** Streams the batch's NDJSON results file to `path`; false when the API has none. */
  saveResults(id: string, path: string): Promise<boolean>;
  listModels(): Promise<Model[]>;
}

/** What openapi-fetch answers: the typed body on a 2xx, else the error body. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The `/v1` routes the CLI uses, through openapi-fetch over the generated `paths`: each route,
 * its parameters, body and answer are typed from the API's OpenAPI document.
 */
export function createApiClient(baseUrl: string, apiKey: string): ApiClient {
  const api = createClient<paths>({
    baseUrl,
    headers: {
      accept: 'application/json',
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    },
  });

  /** The answer's body, or the error the CLI shows for it. */
  async function body<T>(what: string, request: Promise<Answer<T>>): Promise<T> {
    let answer: Answer<T>;
    try {
      answer = await request;
    } catch (error) {
      if (error instanceof SyntaxError) {
        throw new CliError(`the API answered ${what} with something that is not JSON`);
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new CliError(`cannot reach the queue at ${baseUrl} (${reason})`, {
        details: ['set IMAGEN_QUEUE_URL to the API address (pnpm start prints it)'],
      });
    }
    const { response } = answer;
    if (!response.ok) {
      const hint =
        response.status === 401 ? 'check IMAGEN_QUEUE_KEY (pnpm start prints a key)' : undefined;
      throw new ApiError(response.status, toProblem(answer.error, response.status), hint);
    }
    return answer.data as T;
  }

  const id = (value: string) => ({ params: { path: { id: value } } });
  const client: ApiClient = {
    baseUrl,
    submitBatch: (jobs, options = {}) =>
      body(
        'POST /v1/batches',
        api.POST('/v1/batches', {
          body: { jobs, ...(options.webhookUrl ? { webhook_url: options.webhookUrl } : {}) },
        }),
      ),
    getBatch: (batchId) => body('GET /v1/batches/{id}', api.GET('/v1/batches/{id}', id(batchId))),
    listBatchJobs: (batchId, page = {}) =>
      body(
        'GET /v1/batches/{id}/jobs',
        api.GET('/v1/batches/{id}/jobs', {
          params: {
            path: { id: batchId },
            query: {
              ...(page.status ? { status: page.status } : {}),
              ...(page.cursor ? { cursor: page.cursor } : {}),
              ...(page.limit ? { limit: page.limit } : {}),
            },
          },
        }),
      ),
    async *batchJobs(batchId) {
      let cursor: string | undefined;
      do {
        const page = await client.listBatchJobs(batchId, { cursor, limit: 100 });
        yield* page.data;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    },
    getJob: (jobId) => body('GET /v1/jobs/{id}', api.GET('/v1/jobs/{id}', id(jobId))),
    cancelJob: (jobId) =>
      body('POST /v1/jobs/{id}/cancel', api.POST('/v1/jobs/{id}/cancel', id(jobId))),
    cancelBatch: (batchId) =>
      body('POST /v1/batches/{id}/cancel', api.POST('/v1/batches/{id}/cancel', id(batchId))),
    saveResults: (batchId, path) => saveResults(api, batchId, path),
    listModels: async () => (await body('GET /v1/models', api.GET('/v1/models'))).data,
  };
  return client;
}

/** openapi-fetch gives the error body parsed when it is JSON, else as text. */
function toProblem(error: unknown, status: number): Problem {
  if (error && typeof error === 'object') return error as Problem;
  const text = typeof error === 'string' ? error : '';
  // Not JSON (a proxy's HTML page, say): show the start of it.
  return { status, detail: text.trim().slice(0, 200) || undefined };
}
