import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { compileModelUnion, isModelUnion } from './model-union-validator.ts';

/**
 * Bodies are validated strictly: no type coercion and no silent removal of unknown fields
 * (Fastify's defaults do both), so `"num_images": "2"` or a typo'd field is a 400.
 * Query strings and path parameters arrive as text and are coerced, and get their defaults.
 */
export function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    // Body defaults are applied by `normalizeGeneration`, which must see what the client sent:
    // a schema default for `num_images` would make `n: 2` look like a conflict.
    useDefaults: coerce,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  (addFormats as unknown as (ajv: Ajv) => void)(ajv);
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv(false);
  const coercing = createAjv(true);
  return ({ schema, httpPart }) => {
    if (httpPart === 'body' && isModelUnion(schema)) {
      return compileModelUnion(strict, schema) as ReturnType<FastifySchemaCompiler<unknown>>;
    }
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}

export interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** A JSON pointer to the field at fault, including the name of a missing or unknown one. */
export function fieldPath(context: string | undefined, issue: ValidationIssue): string {
  let path = issue.instancePath;
  const named = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof named === 'string') path = `${path}/${named}`;
  const prefix = context && context !== 'body' ? `/${context}` : '';
  return `${prefix}${path}` || '/';
}

export function fieldMessage(issue: ValidationIssue): string {
  if (issue.keyword === 'additionalProperties') {
    const model = issue.params.model;
    return typeof model === 'string' ? `is not a parameter of ${model}` : 'is not a known field';
  }
  if (issue.keyword === 'required') return 'is required';
  return issue.message ?? 'is invalid';
}
