/** Where the CLI finds the queue, read once from the environment. */
export interface CliConfig {
  /** @defaultValue `http://127.0.0.1:3000` */
  baseUrl: string;
  /** The tenant's API key; empty when unset (the API then answers 401, which we explain). */
  apiKey: string;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000';

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  return {
    baseUrl: (env.IMAGEN_QUEUE_URL?.trim() || DEFAULT_BASE_URL).replace(/\/+$/, ''),
    apiKey: env.IMAGEN_QUEUE_KEY?.trim() ?? '',
  };
}
