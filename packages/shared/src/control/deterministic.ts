import { MODELS } from '../models.ts';

/**
 * Whether the same parameters and seed give the same image again, so a repeat may be served from
 * the stored one. Today: the models that take a seed (Imagen). The one place to ask; when the
 * model registry carries a `deterministic` flag, this reads it.
 */
export function isDeterministic(model: string): boolean {
  const spec = (MODELS as Record<string, { supportsSeed: boolean } | undefined>)[model];
  return spec?.supportsSeed ?? false;
}
