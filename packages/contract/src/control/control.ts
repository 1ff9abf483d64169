import Type from 'typebox';

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
export const JobControl = Type.Object({
  /** ISO time after which the job is not started. */
  startBefore: Type.Union([Type.String(), Type.Null()]),
  cache: Type.Boolean(),
});
export type JobControl = Type.Static<typeof JobControl>;

export const DEFAULT_CONTROL: JobControl = { startBefore: null, cache: true };

export function serializeControl(control: JobControl | undefined): string | undefined {
  if (!control || (control.startBefore === null && control.cache)) return undefined;
  return JSON.stringify(control);
}

export function parseControl(value: string | undefined): JobControl {
  if (!value) return DEFAULT_CONTROL;
  return { ...DEFAULT_CONTROL, ...(JSON.parse(value) as Partial<JobControl>) };
}
