import { getModel } from '../models.ts';

/**
 * Whether the same parameters and seed give the same image again, so a repeat may be served from
 * the stored one: the registry's `deterministic` flag (the models that take a seed).
 */
export function isDeterministic(model: string): boolean {
  return getModel(model)?.deterministic ?? false;
}
