import { jobParams, stackEnv, startBenchApi, TENANT } from '../lib/api.ts';
import type { Figure } from '../lib/figure.ts';
import { noiseSeeds } from '../lib/noise-seeds.ts';
import { startEmulator, startWorker } from '../lib/processes.ts';
import { batchProgress } from '../lib/queues.ts';
import { rssMb } from '../lib/rss.ts';
import { median, round, sleep } from '../lib/stats.ts';
import { submitJobs } from '../lib/submit-jobs.ts';

const PREFIX = 'bench-memory';
const IMAGE_BYTES = 1_500_000;

interface Sample {
  done: number;
  rss: number;
}

export const memory: Figure = {
  key: 'memory',
  what: 'worker RSS, 1.5 MB incompressible images, concurrency 32',
  goal: 'peak ≤ 150 + 8 × concurrency MB, growth < 10 % over the second half',
  async run({ services, settings, log }) {
    const { jobs, concurrency } = settings.memory;
    const emulator = await startEmulator({ EMULATOR_NOISE: 'true' });
    const env = stackEnv(services, PREFIX, emulator.url, {
      WORKER_CONCURRENCY: String(concurrency),
    });
    const api = await startBenchApi(env);
    const worker = await startWorker(env);
    try {
      const prompt = (i: number) => jobParams(i).prompt;
      const seeds = noiseSeeds(prompt, jobs, IMAGE_BYTES);
      const params = seeds.map((seed, i) => ({ prompt: prompt(i), seed, aspect_ratio: '1:1' }));
      const batchIds = await submitJobs(api.client, params);
      const samples: Sample[] = [];
      const deadline = Date.now() + 600_000;
      for (;;) {
        const [{ done }, rss] = await Promise.all([
          batchProgress(services.redis, PREFIX, TENANT, batchIds),
          rssMb(worker.pid),
        ]);
        if (rss === null) throw new Error(`the worker exited:\n${worker.output().slice(-1000)}`);
        samples.push({ done, rss });
        if (done >= jobs) break;
        if (Date.now() > deadline) throw new Error(`only ${done} of ${jobs} jobs done in 10 min`);
        await sleep(200);
      }
      const peak = Math.max(...samples.map((s) => s.rss));
      const around = (from: number, to: number) =>
        median(
          samples.filter((s) => s.done >= from * jobs && s.done <= to * jobs).map((s) => s.rss),
        );
      const middle = around(0.45, 0.55);
      const end = around(0.9, 1);
      const growth = ((end - middle) / middle) * 100;
      const imageBytes = await storedImageBytes(api.client, batchIds[0]);
      const limit = 150 + 8 * concurrency;
      log(
        `memory: peak ${Math.round(peak)} MB (limit ${limit}), ${Math.round(middle)} → ${Math.round(end)} MB`,
      );
      return {
        values: {
          concurrency,
          image_bytes: imageBytes,
          peak_rss_mb: round(peak, 0),
          rss_growth_pct: round(growth, 1),
        },
        goalMet: peak <= limit && growth < 10,
      };
    } finally {
      await Promise.all([worker.stop(), api.stop()]);
      await emulator.stop();
    }
  },
};

/** The mean size of the first images stored, as the API reports them (null: no batch route). */
async function storedImageBytes(
  client: { get(path: string): Promise<{ status: number; body: unknown }> },
  batchId: string | undefined,
): Promise<number | null> {
  if (!batchId) return null;
  const { status, body } = await client.get(`/v1/batches/${batchId}/jobs?limit=20`);
  if (status !== 200) return null;
  const sizes = (body as { data: { result: { images: { bytes: number }[] } | null }[] }).data
    .flatMap((job) => job.result?.images ?? [])
    .map((image) => image.bytes);
  return sizes.length ? Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length) : null;
}
