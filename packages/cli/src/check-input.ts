import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { GenerationInput, Model } from './api-types.ts';
import { CliError, EXIT } from './errors.ts';

const DEFAULT_MODEL = 'imagen-3.0-generate-002';

/**
 * Every line checked against the JSON Schema the API publishes for its model, so a file with a
 * field its model does not take fails before a batch is made, naming the line and the field.
 */
export function checkInput(jobs: GenerationInput[], models: Model[]): void {
  const ajv = new Ajv({ strict: false, allErrors: false });
  (addFormats as unknown as (ajv: Ajv) => void)(ajv);
  const validators = new Map<string, ValidateFunction>();
  for (const model of models) {
    const validate = ajv.compile(model.parameters);
    for (const name of [model.id, ...model.aliases]) validators.set(name, validate);
  }
  const problems: string[] = [];
  for (const [index, job] of jobs.entries()) {
    const name = job.model ?? DEFAULT_MODEL;
    const validate = validators.get(name);
    if (!validate) {
      problems.push(`line ${index + 1}: /model '${name}' is not a model (pnpm cli models)`);
      continue;
    }
    if (validate(job)) continue;
    const [issue] = validate.errors ?? [];
    const extra = issue?.params.additionalProperty as string | undefined;
    const field = `${issue?.instancePath ?? ''}${extra ? `/${extra}` : ''}` || '/';
    const message = extra ? `is not a parameter of ${name}` : (issue?.message ?? 'is invalid');
    problems.push(`line ${index + 1}: ${field} ${message}`);
  }
  if (problems.length > 0) {
    throw new CliError(`${problems.length} line(s) of the file are invalid; nothing was sent`, {
      exitCode: EXIT.usage,
      details: problems.slice(0, 20),
    });
  }
}
