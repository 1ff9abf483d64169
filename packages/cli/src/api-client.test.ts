import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from './api-client.ts';
import { ApiError, CliError } from './errors.ts';
import { run } from './run.ts';

let server: Server;
let base: string;
const seen: { method?: string; url?: string; authorization?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    seen.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.authorization,
      body,
    });
    if (request.url === '/v1/batches' && !body.includes('"prompt":"ok"')) {
      response.writeHead(400, { 'content-type': 'application/problem+json' });
      return response.end(
        JSON.stringify({
          type: 'about:blank',
          title: 'Bad Request',
          status: 400,
          detail: 'jobs/1 is invalid',
          errors: [
            { path: '/jobs/1/aspect_ratio', message: 'must be one of 1:1, 3:4, 4:3, 9:16, 16:9' },
          ],
        }),
      );
    }
    if (request.url === '/v1/jobs/job_bad') {
      response.writeHead(400, { 'content-type': 'application/problem+json' });
      const error = { path: '/params/id', message: 'must match pattern "^job_"' };
      return response.end(
        JSON.stringify({ status: 400, detail: `${error.path} ${error.message}`, errors: [error] }),
      );
    }
    if (request.url === '/v1/models') {
      response.writeHead(200, { 'content-type': 'text/html' });
      return response.end('<html>Sign in to the proxy</html>');
    }
    if (request.url?.startsWith('/v1/jobs/')) {
      response.writeHead(502, { 'content-type': 'text/html' });
      return response.end('<html>Bad gateway</html>');
    }
    response.writeHead(202, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: 'bat_1', counts: { total: 1 } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('createApiClient', () => {
  it('sends the key as a bearer token and the jobs with the webhook', async () => {
    await createApiClient(base, 'secret').submitBatch([{ prompt: 'ok' }], {
      webhookUrl: 'https://h.example/x',
    });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/v1/batches',
      authorization: 'Bearer secret',
      body: JSON.stringify({ jobs: [{ prompt: 'ok' }], webhook_url: 'https://h.example/x' }),
    });
  });

  it('turns problem+json into an ApiError with the detail and every field error', async () => {
    const error = await createApiClient(base, 'k')
      .submitBatch([{ prompt: 'x' }])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('jobs/1 is invalid (HTTP 400)');
    expect((error as ApiError).details).toEqual([
      '/jobs/1/aspect_ratio: must be one of 1:1, 3:4, 4:3, 9:16, 16:9',
    ]);
  });

  it('does not repeat a detail that is the only field error', async () => {
    const error = await createApiClient(base, 'k')
      .getJob('job_bad')
      .catch((caught: unknown) => caught);
    expect((error as ApiError).message).toBe('/params/id must match pattern "^job_" (HTTP 400)');
    expect((error as ApiError).details).toEqual([]);
  });

  it('shows the start of a non-JSON error body', async () => {
    const error = await createApiClient(base, 'k')
      .getJob('job_1')
      .catch((caught: unknown) => caught);
    expect((error as ApiError).message).toBe('<html>Bad gateway</html> (HTTP 502)');
  });

  it('says so when a 200 answer is not JSON', async () => {
    const error = await createApiClient(base, 'k')
      .listModels()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(
      'the API answered GET /v1/models with something that is not JSON',
    );
  });

  it('sends the page query it is given', async () => {
    await createApiClient(base, 'k').listBatchJobs('bat_1', {
      status: 'failed',
      cursor: 'c1',
      limit: 5,
    });
    expect(seen.at(-1)?.url).toBe('/v1/batches/bat_1/jobs?status=failed&cursor=c1&limit=5');
  });
});

describe('run', () => {
  const io = () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    return {
      io: {
        stdout: stdout as unknown as NodeJS.WriteStream,
        stderr: stderr as unknown as NodeJS.WriteStream,
      },
      text: () => ({ stdout: String(stdout.read() ?? ''), stderr: String(stderr.read() ?? '') }),
    };
  };

  it('prints an API error with its field errors and exits 1', async () => {
    const { io: streams, text } = io();
    const code = await run(['status', 'job_1'], { baseUrl: base, apiKey: 'k' }, streams);
    expect(code).toBe(1);
    expect(text().stderr).toBe('error: <html>Bad gateway</html> (HTTP 502)\n');
  });

  it('with --json, prints the error as JSON on stderr and nothing on stdout', async () => {
    const { io: streams, text } = io();
    const code = await run(['cancel', 'job_1', '--json'], { baseUrl: base, apiKey: 'k' }, streams);
    expect(code).toBe(1);
    const { stdout, stderr } = text();
    expect(stdout).toBe('');
    expect(JSON.parse(stderr)).toMatchObject({
      error: { message: '<html>Bad gateway</html> (HTTP 502)' },
    });
  });

  it('explains an unreachable API', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { io: streams, text } = io();
    const code = await run(
      ['status', 'bat_1'],
      { baseUrl: `http://127.0.0.1:${port}`, apiKey: 'k' },
      streams,
    );
    expect(code).toBe(1);
    expect(text().stderr).toMatch(
      new RegExp(`cannot reach the queue at http://127.0.0.1:${port} \\(ECONNREFUSED\\)`),
    );
  });
});
