import autocannon from 'autocannon';

export interface LoadResult {
  reqPerS: number;
  p99Ms: number;
  /** Answers received. */
  requests: number;
  /** Answers that were not the expected status, and socket errors. */
  failures: number;
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Seconds; or `amount` requests. */
  duration?: number;
  amount?: number;
  expectStatus: number;
}

/** One autocannon run. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  let unexpected = 0;
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    body: options.body,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 5 }),
    setupClient: (client) => {
      client.on('response', (statusCode: number) => {
        if (statusCode !== options.expectStatus) unexpected++;
      });
    },
  });
  return {
    reqPerS: result.requests.total / Math.max(0.001, result.duration),
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: unexpected + result.errors + result.timeouts,
  };
}
