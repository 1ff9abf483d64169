import {
  badRequest,
  GenerationInput,
  type GenerationParams,
  GenerationRuleError,
  normalizeGeneration,
  type ProblemField,
  webhookUrlProblem,
} from '@imagen-queue/shared';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

export const METADATA_MAX_BYTES = 4096;

const ajv = new Ajv({ coerceTypes: false, useDefaults: false, allErrors: false, strict: false });
(addFormats as unknown as (ajv: Ajv) => void)(ajv);
const validateInput = ajv.compile(GenerationInput);

/**
 * One job's parameters, checked and resolved. `path` is where the object sits in the request
 * (`''` for a single job, `/jobs/12` for a batch line), so every problem names its field.
 */
export function resolveParams(input: unknown, path = ''): GenerationParams {
  if (!validateInput(input)) {
    const issue = validateInput.errors![0]!;
    const named = issue.params.missingProperty ?? issue.params.additionalProperty;
    const field = `${path}${issue.instancePath}${typeof named === 'string' ? `/${named}` : ''}`;
    const message =
      issue.keyword === 'additionalProperties'
        ? 'is not a known field'
        : issue.keyword === 'required'
          ? 'is required'
          : (issue.message ?? 'is invalid');
    throw invalid(field || '/', message, path);
  }
  try {
    return normalizeGeneration(input);
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
