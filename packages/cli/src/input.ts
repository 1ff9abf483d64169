import type { GenerationInput } from './api-types.ts';
import { CliError } from './errors.ts';

/**
 * Reads a submit file: NDJSON of generation parameters when every non-empty line is a JSON
 * object, otherwise one prompt per non-empty line. The API validates the parameters; this
 * only decides the file's shape.
 */
export function parseInputFile(text: string): GenerationInput[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (lines.length === 0) throw new CliError('the file has no prompts (every line is empty)');
  const objects = lines.map(parseObject);
  if (objects.every((value) => value !== undefined)) return objects as GenerationInput[];
  return lines.map((prompt) => ({ prompt }));
}

function parseObject(line: string): object | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** How many images the parameters ask for (`num_images`, or its alias `n`, else 1). */
export function requestedImages(params: GenerationInput): number {
  return params.num_images ?? params.n ?? 1;
}
