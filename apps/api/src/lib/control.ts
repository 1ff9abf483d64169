import type { JobControl } from '@imagen-queue/contract';
import { badRequest } from './problem-error.ts';

/**
 * Resolves `start_before`/`start_within_s` into one instant; both at once, or a `start_before`
 * not after `now`, is a 400.
 */
export function resolveControl(
  input: { start_before?: string; start_within_s?: number; cache?: boolean },
  now: number,
  path = '',
): JobControl {
  if (input.start_before !== undefined && input.start_within_s !== undefined) {
    throw badRequest('give start_before or start_within_s, not both', [
      { path: `${path}/start_within_s`, message: 'must not be given with start_before' },
    ]);
  }
  let startBefore: string | null = null;
  if (input.start_before !== undefined) {
    const at = Date.parse(input.start_before);
    if (Number.isNaN(at)) {
      throw badRequest('start_before is not a time', [
        { path: `${path}/start_before`, message: 'must be an ISO-8601 time' },
      ]);
    }
    // A deadline already passed would cancel the job unseen: refused now, like any bad field.
    if (at <= now) {
      throw badRequest('start_before is in the past', [
        { path: `${path}/start_before`, message: 'must be in the future' },
      ]);
    }
    startBefore = new Date(at).toISOString();
  } else if (input.start_within_s !== undefined) {
    startBefore = new Date(now + input.start_within_s * 1000).toISOString();
  }
  return { startBefore, cache: input.cache ?? true };
}
