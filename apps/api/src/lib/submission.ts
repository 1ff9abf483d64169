import {
  type GenerationInput,
  type GenerationParams,
  GenerationRuleError,
  type ModelSpec,
  modelOf,
  modelSchema,
  normalizeGeneration,
} from '@imagen-queue/contract';
import { webhookUrlProblem } from '@imagen-queue/shared';
import type { ValidateFunction } from 'ajv';
import { badRequest, type ProblemField } from './problem-error.ts';
import { createAjv, fieldMessage, fieldPath, type ValidationIssue } from './validation.ts';

export const METADATA_MAX_BYTES = 4096;

// The same strict settings as request bodies: a merged batch line is checked like a body.
const ajv = createAjv(false);
const validators = new Map<string, ValidateFunction>();

function validatorFor(spec: ModelSpec): ValidateFunction {
  let validate = validators.get(spec.id);
  if (!validate) {
    validate = ajv.compile(modelSchema(spec));
    validators.set(spec.id, validate);
  }
  return validate;
}

/**
 * One job's parameters, checked against its model's own schema and resolved. `path` is where
 * the object sits in the request (`''` for a single job, `/jobs/12` for a batch line), so every
 * problem names its field.
 */
export function resolveParams(input: unknown, path = ''): GenerationParams {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(path || '/', 'must be an object', path);
  }
  try {
    const spec = modelOf(input);
    const validate = validatorFor(spec);
    if (!validate(input)) {
      const found = validate.errors![0] as ValidationIssue;
      const issue = { ...found, params: { ...found.params, model: spec.id } };
      const field = fieldPath('body', issue);
      const message = fieldMessage(issue);
      throw invalid(field === '/' ? path || '/' : `${path}${field}`, message, path);
    }
    return normalizeGeneration(input as GenerationInput);
  } catch (error) {
    if (!(error instanceof GenerationRuleError)) throw error;
    throw invalid(`${path}${error.path}`, error.message, path);
  }
}

/** `metadata` is free-form but small: it travels in every webhook and job view. */
export function checkMetadata(metadata: Record<string, unknown>, path = '/metadata'): void {
  if (Buffer.byteLength(JSON.stringify(metadata)) > METADATA_MAX_BYTES) {
    throw invalid(path, `must be at most ${METADATA_MAX_BYTES} bytes as JSON`);
  }
}

/** Refuses webhook targets that are not http(s) or that point into private networks. */
export function checkWebhookUrl(
  url: string | undefined,
  allowPrivateNetworks: boolean,
  path = '/webhook_url',
): void {
  if (url === undefined) return;
  const problem = webhookUrlProblem(url, allowPrivateNetworks);
  if (problem) throw invalid(path, problem);
}

/** A batch line's problem says which line first; `errors` names the field either way. */
function invalid(path: string, message: string, line = '') {
  const errors: ProblemField[] = [{ path, message }];
  const index = line.split('/').pop();
  const detail = line
    ? `job ${index} of the batch is invalid (${path} ${message}); nothing was queued`
    : `${path} ${message}`;
  return badRequest(detail, errors);
}
