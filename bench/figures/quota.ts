import type { Figure } from '../lib/figure.ts';
import { type QuotaRun, runQuota } from '../lib/quota-run.ts';
import { round } from '../lib/stats.ts';

const QUOTA = 600;
const JOBS = 3_000;

const share429 = (run: QuotaRun) => run.rateLimited / Math.max(1, run.requests);
const use = (run: QuotaRun, minute: number) => (run.acceptedPerMinute[minute - 1] ?? 0) / QUOTA;

/**
 * A new user's first hour: every setting at its default, a 600/min quota the system is not
 * told, 3–6 s calls. Beside it, today's fixed concurrency of 4 (its own emulator and quota).
 */
export const quotaUse: Figure = {
  key: 'quota_use',
  what: 'API + one worker at defaults, 600/min quota not told, 3–6 s calls, 3,000 jobs',
  goal: 'third-minute accepted calls ÷ quota ≥ 0.9, share of 429s ≤ 0.02',
  async run(ctx) {
    const [ours, fixed] = await Promise.all([
      runQuota(ctx, {
        prefix: 'bench-quota-use',
        quotaPerMin: QUOTA,
        jobs: JOBS,
        minutes: 3,
        workerEnv: {},
      }),
      runQuota(ctx, {
        prefix: 'bench-quota-fixed4',
        quotaPerMin: QUOTA,
        jobs: JOBS,
        minutes: 3,
        workerEnv: { WORKER_CONCURRENCY: '4' },
      }),
    ]);
    const quotaUse = use(ours, 3);
    return {
      values: {
        quota_per_min: QUOTA,
        accepted_min1: ours.acceptedPerMinute[0] ?? null,
        accepted_min2: ours.acceptedPerMinute[1] ?? null,
        accepted_min3: ours.acceptedPerMinute[2] ?? null,
        quota_use: round(quotaUse, 3),
        share_429: round(share429(ours), 4),
        peak_worker_rss_mb: ours.peakRssMb === null ? null : round(ours.peakRssMb, 0),
        fixed4_quota_use: round(use(fixed, 3), 3),
        fixed4_share_429: round(share429(fixed), 4),
        fixed4_peak_worker_rss_mb: fixed.peakRssMb === null ? null : round(fixed.peakRssMb, 0),
      },
      goalMet: quotaUse >= 0.9 && share429(ours) <= 0.02,
    };
  },
};

/** The same with the quota told (`PROVIDER_RATE_LIMIT_PER_MIN=600`): nothing to discover. */
export const quotaKnown: Figure = {
  key: 'quota_known',
  what: 'as quota_use, with PROVIDER_RATE_LIMIT_PER_MIN=600',
  goal: 'second-minute accepted calls ÷ quota ≥ 0.95',
  async run(ctx) {
    const ours = await runQuota(ctx, {
      prefix: 'bench-quota-known',
      quotaPerMin: QUOTA,
      jobs: JOBS,
      minutes: 2,
      workerEnv: { PROVIDER_RATE_LIMIT_PER_MIN: String(QUOTA) },
    });
    const quotaUse = use(ours, 2);
    return {
      values: {
        quota_per_min: QUOTA,
        accepted_min1: ours.acceptedPerMinute[0] ?? null,
        accepted_min2: ours.acceptedPerMinute[1] ?? null,
        quota_use: round(quotaUse, 3),
        share_429: round(share429(ours), 4),
        peak_worker_rss_mb: ours.peakRssMb === null ? null : round(ours.peakRssMb, 0),
      },
      goalMet: quotaUse >= 0.95,
    };
  },
};
