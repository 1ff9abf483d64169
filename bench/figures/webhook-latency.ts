import { startReceiver as startWebhookReceiver } from '@imagen-queue/dev-stack';
import { type ApiClient, jobParams, stackEnv, startBenchApi } from '../lib/api.ts';
import { type Figure, NotMeasured } from '../lib/figure.ts';
import { startEmulator, startWorker } from '../lib/processes.ts';
import { startProviderProxy } from '../lib/provider-proxy.ts';
import { percentile, round, waitUntil } from '../lib/stats.ts';

const PREFIX = 'bench-webhook';
/**
 * Jobs are submitted one by one at this steady rate, below what one worker finishes: the figure
 * is the path of one event (upload, record, outbox, delivery), not how long a burst of 300 jobs
 * taken at once by the adaptive concurrency queues for two cores. 10/s is about the pace the
 * 47 ms measurement of 2026-11 ran at (4 calls in flight of 200–400 ms).
 */
const JOBS_PER_SECOND = 10;

async function submitPaced(
  client: ApiClient,
  jobs: Record<string, unknown>[],
  extra: Record<string, unknown>,
): Promise<void> {
  const started = Date.now();
  const answers = jobs.map(async (job, i) => {
    const due = started + (i * 1000) / JOBS_PER_SECOND;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    const { status, body } = await client.post('/v1/jobs', { ...job, ...extra });
    if (status !== 202)
      throw new NotMeasured(`POST /v1/jobs answered ${status}: ${JSON.stringify(body)}`);
  });
  await Promise.all(answers);
}

export const webhookLatency: Figure = {
  key: 'webhook_latency',
  what: `provider answer → first webhook attempt received, jobs submitted at ${JOBS_PER_SECOND}/s`,
  goal: 'p95 ≤ 50 ms',
  async run({ services, settings, log }) {
    const { jobs } = settings.webhook;
    const emulator = await startEmulator({
      EMULATOR_SMALL_IMAGES: 'true',
      EMULATOR_LATENCY_MS: '200-400',
    });
    const proxy = await startProviderProxy(emulator.url);
    const receiver = await startWebhookReceiver();
    const env = stackEnv(services, PREFIX, proxy.url);
    const api = await startBenchApi(env);
    const worker = await startWorker(env);
    try {
      const params = Array.from({ length: jobs }, (_, i) => jobParams(i));
      await submitPaced(api.client, params, { webhook_url: receiver.url });
      const succeeded = () => receiver.received.filter((w) => w.json.type === 'job.succeeded');
      await waitUntil(async () => proxy.answeredAt.size >= jobs, 120_000, 'every provider answer');
      try {
        await waitUntil(
          async () => new Set(succeeded().map((w) => w.id)).size >= jobs,
          30_000,
          'webhooks',
        );
      } catch {
        if (succeeded().length === 0)
          throw new NotMeasured('no job.succeeded webhook arrived within 30 s');
        throw new Error(`only ${succeeded().length} of ${jobs} webhooks arrived`);
      }
      // The first attempt of each event: the earliest arrival of each webhook-id.
      const first = new Map<string, number>();
      for (const hook of succeeded()) {
        const prompt = (hook.json.data.request as { prompt?: string } | undefined)?.prompt;
        const answered = prompt === undefined ? undefined : proxy.answeredAt.get(prompt);
        if (answered === undefined) continue;
        const latency = hook.receivedAt - answered;
        first.set(hook.id, Math.min(first.get(hook.id) ?? latency, latency));
      }
      const latencies = [...first.values()];
      const p50 = percentile(latencies, 50);
      const p95 = percentile(latencies, 95);
      log(
        `webhook_latency: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms over ${latencies.length} jobs`,
      );
      return { values: { p50_ms: round(p50, 1), p95_ms: round(p95, 1) }, goalMet: p95 <= 50 };
    } finally {
      await Promise.all([worker.stop(), api.stop()]);
      await Promise.all([emulator.stop(), proxy.close(), receiver.close()]);
    }
  },
};
