import createClient from 'openapi-fetch';
import type { paths } from './openapi.d.ts';

export type { components, paths } from './openapi.d.ts';

/** A fetch client whose paths, bodies and answers are typed from the API's OpenAPI document. */
export function createQueueClient(baseUrl: string, apiKey: string) {
  return createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });
}
