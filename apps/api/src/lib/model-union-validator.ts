import { DEFAULT_MODEL, getModel, MODEL_UNION } from '@imagen-queue/contract';
import type { Ajv, ValidateFunction } from 'ajv';

interface Branch {
  properties: { model: { enum?: string[] } };
}

export function isModelUnion(schema: unknown): schema is { anyOf: Branch[] } {
  return typeof schema === 'object' && schema !== null && MODEL_UNION in schema;
}

/**
 * Validates a body against the one branch its `model` names, so an error is about that
 * model's fields (`/seed` for a model without seeds), not a list of every branch's complaints
 * as `anyOf` would give.
 */
export function compileModelUnion(ajv: Ajv, schema: { anyOf: Branch[] }) {
  const byName = new Map<string, ValidateFunction>();
  for (const branch of schema.anyOf) {
    const validate = ajv.compile(branch);
    for (const name of branch.properties.model.enum ?? []) byName.set(name, validate);
  }
  const names = [...byName.keys()];
  const validator = (data: unknown): boolean => {
    const model =
      typeof data === 'object' && data !== null ? (data as { model?: unknown }).model : undefined;
    const validate = byName.get(typeof model === 'string' ? model : DEFAULT_MODEL);
    if (!validate || (model !== undefined && typeof model !== 'string')) {
      validator.errors = [
        {
          instancePath: '/model',
          keyword: 'enum',
          schemaPath: '#/discriminator',
          params: { allowedValues: names },
          message: `must be one of the registered models (GET /v1/models)`,
        },
      ];
      return false;
    }
    const valid = validate(data);
    // Say whose parameters these are: `/seed is not a parameter of google/nano-banana-2`.
    const spec = getModel(typeof model === 'string' ? model : DEFAULT_MODEL);
    validator.errors =
      validate.errors?.map((error) =>
        error.keyword === 'additionalProperties'
          ? { ...error, params: { ...error.params, model: spec?.id } }
          : error,
      ) ?? null;
    return valid;
  };
  validator.errors = null as ValidateFunction['errors'];
  return validator;
}
