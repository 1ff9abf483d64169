import { API_KEY, jobParams, NO_PROVIDER, stackEnv, startBenchApi } from '../lib/api.ts';
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
    const run = (url: string, prefix: string, headers: Record<string, string>) => async () => {
      const result = await load({
        url: `${url}/v1/jobs`,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        connections,
        duration: seconds,
        expectStatus: 202,
      });
      await dropPrefix(services.redis, prefix);
      if (result.failures > 0) throw new Error(`${url}: ${result.failures} requests failed`);
      return result;
    };
    try {
      const rounds = await interleave(
        settings.rounds,
        run(api.url, PREFIX, { authorization: `Bearer ${API_KEY}` }),
        run(baseline.url, BASELINE_PREFIX, {}),
      );
      const reqPerS = median(rounds.ours.map((r) => r.reqPerS));
      const baselineReqPerS = median(rounds.baseline.map((r) => r.reqPerS));
      const p99 = median(rounds.ours.map((r) => r.p99Ms));
      const ratio = reqPerS / baselineReqPerS;
      log(`submit: ${Math.round(reqPerS)} req/s vs ${Math.round(baselineReqPerS)}, p99 ${p99} ms`);
      return {
        values: {
          req_per_s: round(reqPerS, 0),
          p99_ms: round(p99, 1),
          baseline_req_per_s: round(baselineReqPerS, 0),
          ratio: round(ratio),
        },
        goalMet: ratio >= 0.5 && p99 <= 25,
      };
    } finally {
      await Promise.all([api.stop(), baseline.stop()]);
    }
  },
};
