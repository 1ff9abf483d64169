import { normalizeGeneration } from '@imagen-queue/contract';
import { startReceiver as startWebhookReceiver } from '@imagen-queue/dev-stack';
import { jobParams, stackEnv, startBenchApi, TENANT } from '../lib/api.ts';
import { childPid, cpuMeter } from '../lib/cpu.ts';
import type { Figure } from '../lib/figure.ts';
import { startBaseline, startEmulator, startWorker } from '../lib/processes.ts';
import { batchProgress, benchQueue, drainRate } from '../lib/queues.ts';
import { interleave, median, round } from '../lib/stats.ts';
import { submitJobs } from '../lib/submit-jobs.ts';

const PREFIX = 'bench-pipeline';
const BASELINE_PREFIX = 'bench-pipeline-baseline';

export const pipeline: Figure = {
  key: 'pipeline',
  what: 'completed jobs/s, emulator at 0 ms, small images, full pipeline',
  goal: 'ratio ≥ 0.8',
  async run({ services, settings, log }) {
    const { jobs, concurrency } = settings.pipeline;
    const emulator = await startEmulator({
      EMULATOR_LATENCY_MS: '0',
      EMULATOR_SMALL_IMAGES: 'true',
    });
    const receiver = await startWebhookReceiver();
    const ours = benchQueue(services.redisUrl, PREFIX);
    const theirs = benchQueue(services.redisUrl, BASELINE_PREFIX);
    // Both queues stay paused while a round's jobs go in; the clock runs from the resume.
    await Promise.all([ours.pause(), theirs.pause()]);
    const env = stackEnv(services, PREFIX, emulator.url, {
      WORKER_CONCURRENCY: String(concurrency),
    });
    const api = await startBenchApi(env);
    const worker = await startWorker(env);
    const baseline = await startBaseline(
      'pipeline-baseline',
      'bench/baselines/pipeline-worker.ts',
      {
        ...services.env(BASELINE_PREFIX),
        IMAGEN_BASE_URL: emulator.url,
        WORKER_CONCURRENCY: String(concurrency),
      },
    );
    const processes = [emulator, api, worker, baseline];
    // Each round's CPU per job, logged: on a shared machine the rate is noisy, CPU is steadier.
    // The S3 server and this process (the webhook receiver) take their share of the cores too.
    const s3 = childPid('s3-main');
    const pids = {
      worker: worker.pid,
      baseline: baseline.pid,
      emulator: emulator.pid,
      ...(s3 ? { s3 } : {}),
      bench: process.pid,
    };
    const logCpu = (side: string, perJob: Record<string, number>) =>
      log(
        `pipeline ${side} per job: ${Object.entries(perJob)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
    // Every run asks for images never asked before: seeded jobs of a deterministic model are
    // otherwise served from our image cache (a CopyObject, no provider call) from the second
    // run on, and ours would be measured doing less than the baseline's call and upload.
    let run = 0;
    const params = (count: number) => {
      run += 1;
      return Array.from({ length: count }, (_, i) =>
        jobParams(i, { prompt: `bench image ${run}.${i}: a lighthouse at dawn` }),
      );
    };
    const runOurs = async (count: number) => {
      const batchIds = await submitJobs(api.client, params(count), {
        webhook_url: receiver.url,
      });
      const meter = await cpuMeter(services.redis, pids);
      const rate = await drainRate(ours, count, 120_000, () =>
        batchProgress(services.redis, PREFIX, TENANT, batchIds),
      );
      logCpu('ours', await meter(count));
      return rate;
    };
    const runBaseline = async (count: number) => {
      await theirs.addBulk(
        params(count).map((p, i) => ({
          name: 'generate-images',
          data: normalizeGeneration(p),
          opts: { jobId: `r${Date.now()}-${i}`, removeOnComplete: { count: 10_000 } },
        })),
      );
      const meter = await cpuMeter(services.redis, pids);
      const rate = await drainRate(theirs, count, 120_000);
      logCpu('baseline', await meter(count));
      return rate;
    };
    try {
      // Warm-up (JIT, connection pools, the emulator's image cache), not counted.
      await runOurs(Math.min(200, jobs));
      await runBaseline(Math.min(200, jobs));
      const rounds = await interleave(
        settings.rounds,
        () => runOurs(jobs),
        () => runBaseline(jobs),
      );
      const jobsPerS = median(rounds.ours);
      const baselineJobsPerS = median(rounds.baseline);
      const ratio = jobsPerS / baselineJobsPerS;
      log(`pipeline: ${Math.round(jobsPerS)} jobs/s vs ${Math.round(baselineJobsPerS)}`);
      return {
        values: {
          jobs_per_s: round(jobsPerS, 0),
          baseline_jobs_per_s: round(baselineJobsPerS, 0),
          ratio: round(ratio),
        },
        goalMet: ratio >= 0.8,
      };
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      await Promise.all([ours.close(), theirs.close(), receiver.close()]);
    }
  },
};
