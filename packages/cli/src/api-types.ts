// What the CLI sends and reads, named from the types generated from the API's OpenAPI document
// (`@imagen-queue/openapi-client`, `pnpm openapi:types`): a field the API changes breaks the
// CLI's typecheck instead of drifting from a copy written here.
import type { components, paths } from '@imagen-queue/openapi-client';

type JsonAnswer<
  Route extends keyof paths,
  Method extends 'get' | 'post',
  Status extends number,
> = paths[Route][Method] extends {
  responses: Record<Status, { content: { 'application/json': infer Body } }>;
}
  ? Body
  : never;

export type Batch = components['schemas']['Batch'];
export type BatchCounts = Batch['counts'];
export type Job = components['schemas']['Job'];
export type JobStatus = Job['status'];
export type Model = components['schemas']['Model'];

/** The body of `POST /v1/batches`. */
export type BatchRequest =
  paths['/v1/batches']['post']['requestBody']['content']['application/json'];
/** One job of a batch: a line of a submit file. */
export type GenerationInput = BatchRequest['jobs'][number];

/** A page of `GET /v1/batches/{id}/jobs`. */
export type JobPage = JsonAnswer<'/v1/batches/{id}/jobs', 'get', 200>;
