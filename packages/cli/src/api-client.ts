import type {
  BatchCounts,
  BatchStatus,
  GenerationInput,
  Job,
  JobStatus,
  ModelView,
} from '@imagen-queue/shared';
import { saveResults } from './download/save-results.ts';
import { ApiError, CliError, type Problem } from './errors.ts';

/** A batch as the API answers it (contract: "A batch"). */
export interface Batch {
  id: string;
  status: BatchStatus;
  counts: BatchCounts;
  created_at: string;
  finished_at: string | null;
  metadata: Record<string, unknown>;
}

export interface JobPage {
  data: Job[];
  next_cursor: string | null;
}

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
  listModels(): Promise<ModelView[]>;
}

/** A thin typed client for the `/v1` routes the CLI uses. */
export function createApiClient(baseUrl: string, apiKey: string): ApiClient {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new CliError(`cannot reach the queue at ${baseUrl} (${reason})`, {
        details: ['set IMAGEN_QUEUE_URL to the API address (pnpm start prints it)'],
      });
    }
    const text = await response.text();
    if (!response.ok) {
      const hint =
        response.status === 401 ? 'check IMAGEN_QUEUE_KEY (pnpm start prints a key)' : undefined;
      throw new ApiError(response.status, parseProblem(text, response.status), hint);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`the API answered ${method} ${path} with something that is not JSON`);
    }
  }

  const client: ApiClient = {
    baseUrl,
    submitBatch: (jobs, options = {}) =>
      call('POST', '/v1/batches', {
        jobs,
        ...(options.webhookUrl ? { webhook_url: options.webhookUrl } : {}),
      }),
    getBatch: (id) => call('GET', `/v1/batches/${encodeURIComponent(id)}`),
    listBatchJobs(id, page = {}) {
      const query = new URLSearchParams();
      if (page.status) query.set('status', page.status);
      if (page.cursor) query.set('cursor', page.cursor);
      if (page.limit) query.set('limit', String(page.limit));
      const suffix = query.size > 0 ? `?${query}` : '';
      return call('GET', `/v1/batches/${encodeURIComponent(id)}/jobs${suffix}`);
    },
    async *batchJobs(id) {
      let cursor: string | undefined;
      do {
        const page = await client.listBatchJobs(id, { cursor, limit: 100 });
        yield* page.data;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    },
    getJob: (id) => call('GET', `/v1/jobs/${encodeURIComponent(id)}`),
    cancelJob: (id) => call('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`),
    cancelBatch: (id) => call('POST', `/v1/batches/${encodeURIComponent(id)}/cancel`),
    saveResults: (id, path) => saveResults(baseUrl, apiKey, id, path),
    listModels: async () => (await call<{ data: ModelView[] }>('GET', '/v1/models')).data,
  };
  return client;
}

function parseProblem(text: string, status: number): Problem {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object') return parsed as Problem;
  } catch {
    // Not JSON (a proxy's HTML page, say): show the start of it.
  }
  return { status, detail: text.trim().slice(0, 200) || undefined };
}
