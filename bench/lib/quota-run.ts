import { jobParams, stackEnv, startBenchApi } from './api.ts';
import { type EmulatorStats, emulatorStats, resetEmulator } from './emulator.ts';
import type { FigureContext } from './figure.ts';
import { startEmulator, startWorker } from './processes.ts';
import { rssMb } from './rss.ts';
import { sleep } from './stats.ts';
import { submitJobs } from './submit-jobs.ts';

export interface QuotaRunOptions {
  prefix: string;
  quotaPerMin: number;
  jobs: number;
  minutes: number;
  /** Worker settings beside the defaults (none for "every setting at its default"). */
  workerEnv: Record<string, string>;
}

export interface QuotaRun {
  /** Calls the emulator accepted in each minute from the first submit. */
  acceptedPerMinute: number[];
  requests: number;
  rateLimited: number;
  peakRssMb: number | null;
}

/**
 * API + one worker against an emulator with 3–6 s latency and a rolling-minute quota without
 * Retry-After that the system is not told about (unless `workerEnv` tells it).
 */
export async function runQuota(
  { services, log }: Pick<FigureContext, 'services' | 'log'>,
  options: QuotaRunOptions,
): Promise<QuotaRun> {
  const emulator = await startEmulator({
    EMULATOR_RATE_LIMIT_RPM: String(options.quotaPerMin),
    EMULATOR_RETRY_AFTER: 'false',
    EMULATOR_LATENCY_MS: '3000-6000',
    EMULATOR_SMALL_IMAGES: 'true',
  });
  // stackEnv starts the limiter out of reach for throughput figures; here it is the default.
  const env = stackEnv(services, options.prefix, emulator.url, {
    PROVIDER_INITIAL_RATE_PER_MIN: '300',
    ...options.workerEnv,
  });
  const api = await startBenchApi(env);
  const worker = await startWorker(env, `${options.prefix}-worker`);
  let peak: number | null = null;
  const sampler = setInterval(async () => {
    const rss = await rssMb(worker.pid);
    if (rss !== null) peak = Math.max(peak ?? 0, rss);
  }, 500);
  try {
    await resetEmulator(emulator.url);
    const params = Array.from({ length: options.jobs }, (_, i) => jobParams(i));
    const started = Date.now();
    await submitJobs(api.client, params);
    const marks: EmulatorStats[] = [await emulatorStats(emulator.url)];
    for (let minute = 1; minute <= options.minutes; minute++) {
      await sleep(Math.max(0, started + minute * 60_000 - Date.now()));
      marks.push(await emulatorStats(emulator.url));
      const accepted = acceptedCalls(marks[minute]!) - acceptedCalls(marks[minute - 1]!);
      log(`${options.prefix}: minute ${minute}: ${accepted} accepted calls`);
    }
    const last = marks.at(-1)!;
    if (last.images >= options.jobs) throw new Error('the jobs ran out before the last minute');
    return {
      acceptedPerMinute: marks.slice(1).map((m, i) => acceptedCalls(m) - acceptedCalls(marks[i]!)),
      requests: last.requests,
      rateLimited: last.rate_limited,
      peakRssMb: peak,
    };
  } finally {
    clearInterval(sampler);
    await Promise.all([worker.stop(), api.stop(), emulator.stop()]);
  }
}

/** Calls the quota counted: every request the emulator received but refused with a 429. */
const acceptedCalls = (stats: EmulatorStats) => stats.requests - stats.rate_limited;
