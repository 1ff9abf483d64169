import Type from 'typebox';
import { badRequest } from '../errors.ts';

/** What a submission may say about when to start and whether to reuse (contract: "Control"). */
export const ControlFields = {
  start_before: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        'Not started by then: canceled with `deadline_exceeded`, no provider call. Must be in the future at submission',
    }),
  ),
  start_within_s: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 30 * 86_400,
      description: 'Like `start_before`, counted from submission',
    }),
  ),
  cache: Type.Optional(
    Type.Boolean({
      description:
        "Serve an exact repeat (same tenant, deterministic model, seed) from the earlier job's images",
    }),
  ),
};

/** A job's control settings as stored (the `control` field of its hash). */
export interface JobControl {
  /** ISO time after which the job is not started. */
  startBefore: string | null;
  cache: boolean;
}

export const DEFAULT_CONTROL: JobControl = { startBefore: null, cache: true };

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

export function serializeControl(control: JobControl | undefined): string | undefined {
  if (!control || (control.startBefore === null && control.cache)) return undefined;
  return JSON.stringify(control);
}

export function parseControl(value: string | undefined): JobControl {
  if (!value) return DEFAULT_CONTROL;
  return { ...DEFAULT_CONTROL, ...(JSON.parse(value) as Partial<JobControl>) };
}
