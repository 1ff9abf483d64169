import Type, { type TObject } from 'typebox';
import { MODEL_CATALOG, type ModelSpec } from './catalog.ts';
import { RESOLUTION_SCALE, type Size } from './sizes.ts';

export type { ModelSpec } from './catalog.ts';

/** Jobs that name no model keep meaning what they meant before there was a choice. */
export const DEFAULT_MODEL = 'imagen-3.0-generate-002';

const byName = new Map<string, ModelSpec>();
for (const spec of MODEL_CATALOG) {
  for (const name of [spec.id, ...spec.aliases, ...spec.provider_ids.aimlapi]) {
    byName.set(name, spec);
  }
}

/** Shutdown dates announced after this release, from `MODEL_SHUTDOWNS` (id → ISO date). */
const announced = new Map<string, string>();

/**
 * Records shutdown dates the operator knows of (a provider's notice arrives between releases).
 * Each process calls it once at start with `config.imagen.modelShutdowns`.
 */
export function setShutdownDates(dates: Record<string, string>): void {
  announced.clear();
  for (const [name, date] of Object.entries(dates)) announced.set(requireModel(name).id, date);
}

function effective(spec: ModelSpec | undefined): ModelSpec | undefined {
  const date = spec && announced.get(spec.id);
  return date ? { ...spec!, shutdown_at: date } : spec;
}

/** Every name a client may send as `model`. */
export const MODEL_NAMES: readonly string[] = [...byName.keys()];

/** Every registered model, the default first. */
export function listModels(): readonly ModelSpec[] {
  return MODEL_CATALOG.map((spec) => effective(spec)!);
}

/** The model a name (id or alias) stands for; `undefined` when none does. Stable for #16. */
export function getModel(idOrAlias: string): ModelSpec | undefined {
  return effective(byName.get(idOrAlias));
}

/** Like `getModel`, for names already validated (stored jobs). */
export function requireModel(idOrAlias: string): ModelSpec {
  const spec = effective(byName.get(idOrAlias));
  if (!spec) throw new Error(`unknown model ${idOrAlias}`);
  return spec;
}

export function modelNames(spec: ModelSpec): string[] {
  return [...new Set([spec.id, ...spec.aliases, ...spec.provider_ids.aimlapi])];
}

/** Past its announced shutdown date at `now`. */
export function isRetired(spec: ModelSpec, now = Date.now()): boolean {
  return spec.shutdown_at !== null && Date.parse(spec.shutdown_at) <= now;
}

const schemas = new Map<string, TObject>();

/**
 * The request schema of one model: its own fields and nothing else (`model` is optional only
 * for the default model). `extra` adds what every submission may carry (webhook, metadata…).
 */
export function modelSchema(spec: ModelSpec, extra: Record<string, unknown> = {}): TObject {
  const cacheable = Object.keys(extra).length === 0;
  const cached = cacheable ? schemas.get(spec.id) : undefined;
  if (cached) return cached;
  const model = Type.Enum(modelNames(spec), {
    description: spec.id === DEFAULT_MODEL ? `Default: ${DEFAULT_MODEL}` : undefined,
  });
  // Every parameter but the prompt may be left out: the model's defaults fill it.
  const fields = Object.fromEntries(
    Object.entries(spec.fields).map(([name, field]) => [
      name,
      name === 'prompt' ? field : Type.Optional(field),
    ]),
  );
  const schema = Type.Object(
    {
      model: spec.id === DEFAULT_MODEL ? Type.Optional(model) : model,
      ...fields,
      ...(extra as object),
    },
    { additionalProperties: false, title: spec.id },
  );
  if (cacheable) schemas.set(spec.id, schema);
  return schema;
}

/** The pixel size a model returns for an aspect ratio and resolution. */
export function outputSize(spec: ModelSpec, ratio: string, resolution?: string): Size {
  const base = spec.sizes[ratio] ?? spec.sizes['1:1']!;
  const scale = RESOLUTION_SCALE[resolution as keyof typeof RESOLUTION_SCALE] ?? 1;
  return { width: base.width * scale, height: base.height * scale };
}
