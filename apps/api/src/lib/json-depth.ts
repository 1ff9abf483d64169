import { badRequest } from './problem-error.ts';

/** Deeper than any real request; deep enough JSON makes `JSON.stringify` itself throw. */
export const MAX_JSON_DEPTH = 32;

/** Whether `value` nests objects or arrays more than `max` levels deep (checked without recursion). */
export function exceedsDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The 400 for a body (or an NDJSON line, at `path`) nested too deeply. */
export function tooDeep(path = '/') {
  return badRequest(`the JSON is nested more than ${MAX_JSON_DEPTH} levels deep`, [
    { path, message: `must not nest more than ${MAX_JSON_DEPTH} levels` },
  ]);
}
