import Type, { type Static, type TSchema } from 'typebox';

/**
 * One field of a stored record, declared once: its TypeBox schema (from which the record's
 * TypeScript type and, for public fields, the API's view derive), the name it has in the Redis
 * hash and in the API, and how it is written to and read from the hash.
 */
export interface RecordField<S extends TSchema = TSchema> {
  schema: S;
  /** Its name in the Redis hash and, when `view`, in the API's JSON. */
  name: string;
  /** Shown to clients as it is stored (the view copies it under `name`). */
  view: boolean;
  /**
   * Writes the hash fields that hold it into `hash`; none when the value is at its default (a
   * Redis hash field costs about 70 bytes of its own, and most of a queued job's would be
   * empty). Into one object for the whole record, not one per field: a batch encodes 10,000.
   */
  encode(value: Static<S>, hash: Record<string, string>, record: Record<string, unknown>): void;
  /** Undefined only for an optional field that is absent. */
  decode(hash: Record<string, string>): Static<S> | undefined;
}

type Fields = Record<string, RecordField>;
type Props<F extends Fields> = { [K in keyof F]: F[K]['schema'] };

/** The record's TypeScript type. */
export type RecordOf<F extends Fields> = Static<Type.TObject<Props<F>>>;

export interface RecordDefinition<F extends Fields> {
  fields: F;
  schema: Type.TObject<Props<F>>;
  /** The public fields' keys and names, in order (a view is built on every answer). */
  viewed: readonly (readonly [key: string, name: string])[];
  /** The hash as stored; fields at their default are left out. */
  encode(record: RecordOf<F>): Record<string, string>;
  decode(hash: Record<string, string>): RecordOf<F>;
}

export function defineRecord<F extends Fields>(fields: F): RecordDefinition<F> {
  const entries = Object.entries(fields);
  const count = entries.length;
  const props = Object.fromEntries(entries.map(([key, field]) => [key, field.schema]));
  return {
    fields,
    schema: Type.Object(props as Props<F>),
    viewed: entries.filter(([, field]) => field.view).map(([key, field]) => [key, field.name]),
    encode(record) {
      const values = record as Record<string, unknown>;
      const hash: Record<string, string> = {};
      for (let i = 0; i < count; i++) {
        const [key, field] = entries[i]!;
        const value = values[key];
        if (value !== undefined) field.encode(value, hash, values);
      }
      return hash;
    },
    decode(hash) {
      const record: Record<string, unknown> = {};
      for (const [key, field] of entries) {
        const value = field.decode(hash);
        if (value !== undefined) record[key] = value;
      }
      return record as RecordOf<F>;
    },
  };
}

type ViewKeys<F extends Fields> = {
  [K in keyof F]: F[K]['view'] extends true ? K : never;
}[keyof F];
type ViewName<F extends Fields, K extends keyof F> = F[K]['name'];

/** The public fields' schemas under their public names, for a view's `Type.Object`. */
export function viewProperties<F extends Fields>(
  definition: RecordDefinition<F>,
): { [K in ViewKeys<F> as ViewName<F, K>]: F[K]['schema'] } {
  return Object.fromEntries(
    Object.values(definition.fields)
      .filter((field) => field.view)
      .map((field) => [field.name, field.schema]),
  ) as never;
}

/** The public fields' values under their public names. */
export function viewValues<F extends Fields>(
  definition: RecordDefinition<F>,
  record: RecordOf<F>,
): { [K in ViewKeys<F> as ViewName<F, K>]: Static<F[K]['schema']> } {
  const values = record as Record<string, unknown>;
  const view: Record<string, unknown> = {};
  for (const [key, name] of definition.viewed) view[name] = values[key];
  return view as never;
}

// The field kinds. `name` and `view` keep their literal types, so that `viewProperties` can
// tell the public fields and name them.

/** A field of any kind: its schema, names and codec as given. */
export const field = <S extends TSchema, const N extends string, const V extends boolean>(
  spec: Omit<RecordField<S>, 'name' | 'view'> & { name: N; view: V },
): RecordField<S> & { name: N; view: V } => spec;

/** A string that is always there. */
export const text = <S extends TSchema, N extends string, V extends boolean>(
  name: N,
  schema: S,
  view: V,
) =>
  field({
    name,
    schema,
    view,
    encode: (value, hash) => {
      hash[name] = String(value);
    },
    decode: (hash) => hash[name] as Static<S>,
  });

/** A string or null; null is stored as no field (and no field, or '', reads as null). */
export const nullableText = <S extends TSchema, N extends string, V extends boolean>(
  name: N,
  schema: S,
  view: V,
) =>
  field({
    name,
    schema: Type.Union([schema, Type.Null()]),
    view,
    encode: (value, hash) => {
      if (value) hash[name] = String(value);
    },
    decode: (hash) => (hash[name] || null) as Static<S> | null,
  });

/** An integer that is 0 unless stored. */
export const counter = <N extends string, V extends boolean>(name: N, view: V) =>
  field({
    name,
    schema: Type.Integer(),
    view,
    encode: (value, hash) => {
      if (value !== 0) hash[name] = String(value);
    },
    decode: (hash) => Number(hash[name] ?? 0),
  });

/**
 * A JSON value, stored in chunks (`splitField`) when `chunked`; `empty`, the value an absent
 * field reads as, is not stored.
 */
export const json = <S extends TSchema, N extends string, V extends boolean>(
  name: N,
  schema: S,
  view: V,
  options: { empty?: Static<S>; chunked?: boolean } = {},
) => {
  const empty = options.empty === undefined ? undefined : JSON.stringify(options.empty);
  return field({
    name,
    schema,
    view,
    encode: (value, hash) => {
      const text = JSON.stringify(value);
      if (text === empty) return;
      if (options.chunked) splitField(name, text, false, hash);
      else hash[name] = text;
    },
    decode: (hash) => {
      const text = options.chunked ? joinField(hash, name) : hash[name];
      return (text === undefined ? options.empty : JSON.parse(text)) as Static<S>;
    },
  });
};

/**
 * Redis keeps a hash as a compact listpack while each value is at most `hash-max-listpack-value`
 * bytes (64 by default), and as a hash table, about 1 KB more for a finished job, once one is
 * longer. The long values, the request, the result and the metadata, are therefore stored in
 * chunks of at most 64 bytes (`request`, `request.1`, …, cut between characters), up to
 * `MAX_CHUNKS`; a longer value is stored whole (correct, only larger).
 */
const CHUNK_BYTES = 64;
const MAX_CHUNKS = 64;

/**
 * `name`'s value as chunk fields (added to `fields` when given); with `clearRest`, the first
 * unused chunk field too, empty: a transition deletes it and every chunk after it (chunks are
 * contiguous, `transition.lua`).
 */
export function splitField(
  name: string,
  value: string,
  clearRest = false,
  fields: Record<string, string> = {},
): Record<string, string> {
  const chunks: string[] = [];
  if (/^[\x20-\x7e]*$/.test(value)) {
    for (let i = 0; i < value.length; i += CHUNK_BYTES)
      chunks.push(value.slice(i, i + CHUNK_BYTES));
  } else {
    let current = '';
    let bytes = 0;
    for (const char of value) {
      const size = Buffer.byteLength(char);
      if (bytes + size > CHUNK_BYTES && current !== '') {
        chunks.push(current);
        current = '';
        bytes = 0;
      }
      current += char;
      bytes += size;
    }
    chunks.push(current);
  }
  const whole = chunks.length > MAX_CHUNKS;
  const stored = whole ? [value] : chunks.length === 0 ? [''] : chunks;
  for (let i = 0; i < stored.length + (clearRest ? 1 : 0); i++)
    fields[i === 0 ? name : `${name}.${i}`] = stored[i] ?? '';
  return fields;
}

/** A value stored by `splitField` (or whole, as records before it were), or undefined. */
export function joinField(hash: Record<string, string>, name: string): string | undefined {
  const first = hash[name];
  if (first === undefined) return undefined;
  let value = first;
  for (let i = 1; hash[`${name}.${i}`] !== undefined; i++) value += hash[`${name}.${i}`];
  return value;
}
