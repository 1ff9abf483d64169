import { API_KEY, jobParams, NO_PROVIDER, stackEnv, startBenchApi } from '../lib/api.ts';
import { cpuMeter } from '../lib/cpu.ts';
import type { Figure } from '../lib/figure.ts';
import { load } from '../lib/load.ts';
import { startBaseline } from '../lib/processes.ts';
import { dropPrefix } from '../lib/services.ts';
import { interleave, median, round } from '../lib/stats.ts';

const PREFIX = 'bench-submit';
const BASELINE_PREFIX = 'bench-submit-baseline';

export const submit: Figure = {
  key: 'submit',
  what: 'POST /v1/jobs under load (autocannon, 50 connections)',
  goal: 'ratio ≥ 0.5, p99 ≤ 25 ms',
  async run({ services, settings, log }) {
    const { seconds, connections } = settings.submit;
    // No worker runs: the figure is the API's, and the jobs stay queued until dropped.
    const api = await startBenchApi(stackEnv(services, PREFIX, NO_PROVIDER));
    const baseline = await startBaseline('submit-baseline', 'bench/baselines/submit-server.ts', {
      REDIS_URL: services.redisUrl,
      QUEUE_PREFIX: BASELINE_PREFIX,
    });
    const body = JSON.stringify(jobParams(1, { aspect_ratio: '16:9', num_images: 2 }));
    // Beside the throughput, the CPU time the server and Redis spend per request: steadier
    // than req/s on a shared machine, and what a lever changes.
    const run =
      (server: { url: string; pid: number }, prefix: string, headers: Record<string, string>) =>
      async () => {
        const meter = await cpuMeter(services.redis, { server: server.pid });
        const result = await load({
          url: `${server.url}/v1/jobs`,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
          connections,
          duration: seconds,
          expectStatus: 202,
        });
        const cpu = await meter(Math.max(1, result.requests));
        await dropPrefix(services.redis, prefix);
        if (result.failures > 0)
          throw new Error(`${server.url}: ${result.failures} requests failed`);
        return { ...result, serverCpuUs: cpu.server_us!, redisCpuUs: cpu.redis_us! };
      };
    try {
      const rounds = await interleave(
        settings.rounds,
        run(api, PREFIX, { authorization: `Bearer ${API_KEY}` }),
        run(baseline, BASELINE_PREFIX, {}),
      );
      const reqPerS = median(rounds.ours.map((r) => r.reqPerS));
      const baselineReqPerS = median(rounds.baseline.map((r) => r.reqPerS));
      const p99 = median(rounds.ours.map((r) => r.p99Ms));
      const baselineP99 = median(rounds.baseline.map((r) => r.p99Ms));
      const ratio = reqPerS / baselineReqPerS;
      const cpu = (rounds: { serverCpuUs: number; redisCpuUs: number }[]) => ({
        server: round(median(rounds.map((r) => r.serverCpuUs)), 0),
        redis: round(median(rounds.map((r) => r.redisCpuUs)), 0),
      });
      const [oursCpu, baselineCpu] = [cpu(rounds.ours), cpu(rounds.baseline)];
      log(
        `submit: ${Math.round(reqPerS)} req/s vs ${Math.round(baselineReqPerS)}, ` +
          `p99 ${p99} ms vs ${baselineP99} ms; ` +
          `CPU µs/request: API ${oursCpu.server} vs ${baselineCpu.server}, ` +
          `Redis ${oursCpu.redis} vs ${baselineCpu.redis}`,
      );
      return {
        values: {
          req_per_s: round(reqPerS, 0),
          p99_ms: round(p99, 1),
          baseline_req_per_s: round(baselineReqPerS, 0),
          baseline_p99_ms: round(baselineP99, 1),
          ratio: round(ratio),
          api_cpu_us: oursCpu.server,
          baseline_api_cpu_us: baselineCpu.server,
          redis_cpu_us: oursCpu.redis,
          baseline_redis_cpu_us: baselineCpu.redis,
        },
        goalMet: ratio >= 0.5 && p99 <= 25,
      };
    } finally {
      await Promise.all([api.stop(), baseline.stop()]);
    }
  },
};
