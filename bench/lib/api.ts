import { startApi } from './processes.ts';
import type { Services } from './services.ts';

export const TENANT = 'bench';
export const API_KEY = 'bench-api-key-0123456789';
/** The provider URL of an API that runs no worker (submit, ingest, status): never called. */
export const NO_PROVIDER = 'http://127.0.0.1:9';

/** The environment of our API and workers in a figure: its own prefix, the emulator's URL. */
export function stackEnv(
  services: Services,
  prefix: string,
  emulatorUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return services.env(prefix, {
    API_KEYS: `${TENANT}:${API_KEY}`,
    // The per-tenant limit would cap a load test at 600 requests a minute.
    API_RATE_LIMIT_PER_MIN: '100000000',
    IMAGEN_BASE_URL: emulatorUrl,
    IMAGEN_API_KEY: 'emulator-key',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    // The shared provider limiter starts at 300/min until 429s teach it the real limit; an
    // emulator without a limit never sends one, so throughput figures start it out of reach.
    PROVIDER_INITIAL_RATE_PER_MIN: '1000000',
    ...extra,
  });
}

export async function startBenchApi(env: Record<string, string>) {
  const api = await startApi(env);
  return Object.assign(api, { client: apiClient(api.url) });
}

export type ApiClient = ReturnType<typeof apiClient>;

export function apiClient(baseUrl: string) {
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
  return {
    post: (path: string, body: unknown) => request('POST', path, body),
    get: (path: string) => request('GET', path),
  };
}

/** The parameters of the `i`-th job of a figure: a unique prompt, a fixed seed. */
export function jobParams(i: number, extra: Record<string, unknown> = {}) {
  return { prompt: `bench image ${i}: a lighthouse at dawn`, seed: i, ...extra };
}
