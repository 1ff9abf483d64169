import { normalizeGeneration } from '@imagen-queue/contract';
import { jobParams, stackEnv, startBenchApi } from '../lib/api.ts';
import { type EmulatorStats, emulatorStats, resetEmulator } from '../lib/emulator.ts';
import type { Figure } from '../lib/figure.ts';
import { startBaseline, startEmulator, startWorker } from '../lib/processes.ts';
import { benchQueue } from '../lib/queues.ts';
import { round, sleep } from '../lib/stats.ts';
import { submitJobs } from '../lib/submit-jobs.ts';

const PREFIX = 'bench-ratelimit';
const difference = (a: EmulatorStats, b: EmulatorStats) => ({
  requests: a.requests - b.requests,
  images: a.images - b.images,
  rate_limited: a.rate_limited - b.rate_limited,
});
const NAIVE_PREFIX = 'bench-ratelimit-naive';

/**
 * Ours (API + two workers, the shared limiter at its defaults) and the naive baseline (one
 * BullMQ worker at the same total concurrency, exponential backoff) run side by side for the
 * same window, each against its own emulator limited to `limitRpm` without `Retry-After`.
 */
export const rateLimit: Figure = {
  key: 'rate_limit',
  what: 'provider limited to N req/min, no Retry-After, 1–3 s latency, two workers',
  goal: 'efficiency ≥ 0.95, failed 0, calls/image ≤ 1.05',
  async run({ services, settings, log }) {
    const { warmupSeconds, seconds, limitRpm, concurrency, jobs } = settings.rateLimit;
    const emulatorEnv = {
      EMULATOR_RATE_LIMIT_RPM: String(limitRpm),
      EMULATOR_RETRY_AFTER: 'false',
      EMULATOR_LATENCY_MS: '1000-3000',
      EMULATOR_SMALL_IMAGES: 'true',
    };
    const [emulator, naiveEmulator] = await Promise.all([
      startEmulator(emulatorEnv),
      startEmulator(emulatorEnv),
    ]);
    const env = stackEnv(services, PREFIX, emulator.url, {
      WORKER_CONCURRENCY: String(concurrency),
      PROVIDER_INITIAL_RATE_PER_MIN: '300',
    });
    const ours = benchQueue(services.redisUrl, PREFIX);
    const naive = benchQueue(services.redisUrl, NAIVE_PREFIX);
    const api = await startBenchApi(env);
    const processes = [
      emulator,
      naiveEmulator,
      api,
      await startWorker(env, 'worker-1'),
      await startWorker(env, 'worker-2'),
      // The pipeline baseline's worker: fixed concurrency, the retries are the jobs' options.
      await startBaseline('naive-worker', 'bench/baselines/pipeline-worker.ts', {
        ...services.env(NAIVE_PREFIX),
        IMAGEN_BASE_URL: naiveEmulator.url,
        WORKER_CONCURRENCY: String(concurrency * 2),
      }),
    ];
    try {
      const params = Array.from({ length: jobs }, (_, i) => jobParams(i));
      await Promise.all([resetEmulator(emulator.url), resetEmulator(naiveEmulator.url)]);
      await Promise.all([
        submitJobs(api.client, params),
        naive.addBulk(
          params.map((p, i) => ({
            name: 'generate-images',
            data: normalizeGeneration(p),
            opts: {
              jobId: `naive-${i}`,
              attempts: 10,
              backoff: { type: 'exponential', delay: 1000 },
            },
          })),
        ),
      ]);
      log(
        `rate_limit: ${jobs} jobs each; ${warmupSeconds} s warm-up, then ${seconds} s at ${limitRpm}/min`,
      );
      // A rolling-minute limit lets the first minute burst: the steady state is what counts.
      await sleep(warmupSeconds * 1000);
      const [start, naiveStart] = await Promise.all([
        emulatorStats(emulator.url),
        emulatorStats(naiveEmulator.url),
      ]);
      await sleep(seconds * 1000);
      const [end, naiveEnd, oursCounts, naiveCounts] = await Promise.all([
        emulatorStats(emulator.url),
        emulatorStats(naiveEmulator.url),
        ours.getJobCounts('failed'),
        naive.getJobCounts('failed'),
      ]);
      const stats = difference(end, start);
      const naiveStats = difference(naiveEnd, naiveStart);
      if (end.images >= jobs || naiveEnd.images >= jobs) {
        throw new Error(`the ${jobs} jobs ran out before the window ended: raise rateLimit.jobs`);
      }
      const minutes = seconds / 60;
      const efficiency = stats.images / minutes / limitRpm;
      const naiveEfficiency = naiveStats.images / minutes / limitRpm;
      const callsPerImage = stats.requests / Math.max(1, stats.images);
      const failed = oursCounts.failed ?? 0;
      log(
        `rate_limit: ours ${stats.images} images in ${stats.requests} calls, naive ${naiveStats.images} in ${naiveStats.requests}`,
      );
      return {
        values: {
          limit_rpm: limitRpm,
          achieved_rpm: round(stats.images / minutes, 1),
          efficiency: round(efficiency, 3),
          failed_jobs: failed,
          provider_calls_per_image: round(callsPerImage, 3),
          share_429: round(stats.rate_limited / Math.max(1, stats.requests), 3),
          naive_efficiency: round(naiveEfficiency, 3),
          naive_share_429: round(naiveStats.rate_limited / Math.max(1, naiveStats.requests), 3),
          naive_failed_jobs: naiveCounts.failed ?? 0,
        },
        goalMet: efficiency >= 0.95 && failed === 0 && callsPerImage <= 1.05,
      };
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      await Promise.all([ours.close(), naive.close()]);
    }
  },
};
