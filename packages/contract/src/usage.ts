import Type from 'typebox';

/** A batch's or a period's usage (contract: "Usage"). */
export const UsageTotals = Type.Object({
  provider_calls: Type.Integer({ description: 'Calls made to the provider, failed ones too' }),
  images: Type.Integer({ description: 'Images stored' }),
  credits: Type.Union([Type.Number(), Type.Null()], {
    description: 'Credits the provider reported; null when it reported none',
  }),
  cost_usd: Type.Union([Type.Number(), Type.Null()], {
    description: 'USD the provider reported; null when it reported none',
  }),
});
export type UsageTotals = Type.Static<typeof UsageTotals>;

/** A job's usage: its totals plus the `X-Client-Request-Id` of each call. */
export const JobUsage = Type.Object({
  ...UsageTotals.properties,
  request_ids: Type.Array(Type.String(), {
    description:
      'The `X-Client-Request-Id` of each provider call, in order: `<job id>.<call>`, `call` ' +
      "counting every call of the job from 1 (429s too), as the provider's usage log shows it",
  }),
  cached_from: Type.Optional(
    Type.String({ description: 'The job whose stored images this one copied' }),
  ),
});
export type JobUsage = Type.Static<typeof JobUsage>;

/** Reads the `usage_*` fields that `record-usage.lua` keeps in a job or batch hash. */
export function usageTotalsFromHash(hash: Record<string, string>, prefix = 'usage_'): UsageTotals {
  const float = (field: string) => {
    const value = hash[`${prefix}${field}`];
    return value === undefined || value === '' ? null : roundMoney(Number(value));
  };
  return {
    provider_calls: Number(hash[`${prefix}calls`] ?? 0),
    images: Number(hash[`${prefix}images`] ?? 0),
    credits: float('credits'),
    cost_usd: float('usd'),
  };
}

export function jobUsageFromHash(hash: Record<string, string>): JobUsage {
  const ids = hash.usage_request_ids;
  return {
    ...usageTotalsFromHash(hash),
    request_ids: ids ? ids.split(',') : [],
    ...(hash.usage_cached_from ? { cached_from: hash.usage_cached_from } : {}),
  };
}

/** HINCRBYFLOAT sums in binary floating point; six decimals is finer than any price. */
export function roundMoney(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export function addTotals(a: UsageTotals, b: UsageTotals): UsageTotals {
  const sum = (x: number | null, y: number | null) =>
    x === null && y === null ? null : roundMoney((x ?? 0) + (y ?? 0));
  return {
    provider_calls: a.provider_calls + b.provider_calls,
    images: a.images + b.images,
    credits: sum(a.credits, b.credits),
    cost_usd: sum(a.cost_usd, b.cost_usd),
  };
}

export const EMPTY_USAGE: UsageTotals = {
  provider_calls: 0,
  images: 0,
  credits: null,
  cost_usd: null,
};
