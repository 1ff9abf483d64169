import { el } from './dom.js';

/**
 * Fields the form does not offer: set by the form itself (model, prompts), aliases and
 * alternatives of offered ones (`n`, `image_size`), a transport detail (`convert_base64_to_url`),
 * or too rich for one control (`image_urls`, which an NDJSON line may carry).
 */
const NOT_OFFERED = new Set([
  'model',
  'prompt',
  'n',
  'image_size',
  'image_urls',
  'convert_base64_to_url',
]);

/** The default model's fields, for a server without `GET /v1/models`. */
export const FALLBACK_PROPERTIES = {
  aspect_ratio: { enum: ['1:1', '3:4', '4:3', '9:16', '16:9'], default: '1:1' },
  num_images: { type: 'integer', minimum: 1, maximum: 4, default: 1 },
  seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
  enhance_prompt: { type: 'boolean', default: true },
};

const LABELS = {
  num_images: 'Images per prompt',
  enhance_prompt: 'Enhance prompts',
  enable_web_search: 'Search the web',
};
const HINTS = { seed: 'empty: random' };

export function field(label, input, hint) {
  return el(
    'label',
    { class: 'field' },
    el('span', {}, label),
    input,
    hint && el('small', {}, hint),
  );
}

const labelOf = (name) =>
  LABELS[name] ?? name.charAt(0).toUpperCase() + name.slice(1).replaceAll('_', ' ');

/** One control for one field of a model's JSON Schema: its enum, its limits, its default. */
function control(name, schema) {
  const label = labelOf(name);
  const hint = HINTS[name] ?? schema.description;
  if (Array.isArray(schema.enum)) {
    const input = el(
      'select',
      { id: name, name },
      schema.enum.map((value) =>
        el('option', { value, selected: value === schema.default }, value),
      ),
    );
    return { node: field(label, input, hint), read: () => input.value };
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const input = el('input', {
      id: name,
      name,
      type: 'number',
      min: schema.minimum,
      max: schema.maximum,
      step: schema.type === 'integer' ? 1 : 'any',
      value: schema.default,
    });
    return {
      node: field(label, input, hint),
      read: () => (input.value === '' ? undefined : Number(input.value)),
    };
  }
  if (schema.type === 'boolean') {
    const input = el('input', { id: name, name, type: 'checkbox', checked: schema.default });
    return { node: el('label', { class: 'check' }, input, ` ${label}`), read: () => input.checked };
  }
  return null; // anything richer is for the NDJSON file
}

/**
 * The parameter controls for one model, from the `parameters` JSON Schema `GET /v1/models`
 * publishes: only the fields that model takes, each with that model's values and limits.
 */
export function parameterControls(properties) {
  return Object.entries(properties)
    .filter(([name]) => !NOT_OFFERED.has(name))
    .map(([name, schema]) => {
      const made = control(name, schema);
      return made && { name, ...made };
    })
    .filter(Boolean);
}
