import { normalizeGeneration } from '@imagen-queue/contract';
import { rawAddBulk } from '../baselines/raw-addbulk.ts';
import { API_KEY, jobParams, NO_PROVIDER, stackEnv, startBenchApi } from '../lib/api.ts';
import { cpuMeter } from '../lib/cpu.ts';
import { type Figure, NotMeasured } from '../lib/figure.ts';
import { benchQueue } from '../lib/queues.ts';
import { dropPrefix } from '../lib/services.ts';
import { interleave, median, round } from '../lib/stats.ts';

const PREFIX = 'bench-ingest';
const RAW_PREFIX = 'bench-ingest-raw';

export const ingest: Figure = {
  key: 'ingest',
  what: 'jobs accepted/s through POST /v1/batches (1,000-job JSON batches)',
  goal: 'ratio ≥ 0.6',
  async run({ services, settings, log }) {
    const { batchesPerRound, batchSize, inFlight } = settings.ingest;
    const api = await startBenchApi(stackEnv(services, PREFIX, NO_PROVIDER));
    const queue = benchQueue(services.redisUrl, RAW_PREFIX);
    const params = Array.from({ length: batchSize }, (_, i) =>
      jobParams(i, { aspect_ratio: '16:9' }),
    );
    const body = JSON.stringify({ jobs: params });
    const normalized = params.map((p) => normalizeGeneration(p));
    const post = async () => {
      const response = await fetch(`${api.url}/v1/batches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body,
      });
      const text = await response.text();
      if (response.status === 404) throw new NotMeasured('POST /v1/batches is not there (404)');
      if (response.status !== 202)
        throw new Error(`POST /v1/batches answered ${response.status}: ${text.slice(0, 200)}`);
    };
    /**
     * `batchesPerRound` calls of `send`, `inFlight` at a time: jobs per second, and the CPU time
     * per job of the process that sends (our API, or this one for the raw `addBulk`) and of Redis.
     */
    const timed = async (send: () => Promise<void>, prefix: string, sender: number) => {
      let left = batchesPerRound;
      const lane = async () => {
        while (left-- > 0) await send();
      };
      const meter = await cpuMeter(services.redis, { sender });
      const started = performance.now();
      await Promise.all(Array.from({ length: inFlight }, lane));
      const rate = (batchesPerRound * batchSize) / ((performance.now() - started) / 1000);
      const cpu = await meter(batchesPerRound * batchSize);
      await dropPrefix(services.redis, prefix);
      return { rate, senderCpuUs: cpu.sender_us!, redisCpuUs: cpu.redis_us! };
    };
    try {
      await post(); // Warm-up, and the 404 check.
      await rawAddBulk(queue, normalized);
      const rounds = await interleave(
        settings.rounds,
        () => timed(post, PREFIX, api.pid),
        () => timed(() => rawAddBulk(queue, normalized), RAW_PREFIX, process.pid),
      );
      const ours = median(rounds.ours.map((r) => r.rate));
      const raw = median(rounds.baseline.map((r) => r.rate));
      const cpu = (rounds: { senderCpuUs: number; redisCpuUs: number }[]) => ({
        sender: round(median(rounds.map((r) => r.senderCpuUs)), 1),
        redis: round(median(rounds.map((r) => r.redisCpuUs)), 1),
      });
      const [oursCpu, rawCpu] = [cpu(rounds.ours), cpu(rounds.baseline)];
      log(
        `ingest: ${Math.round(ours)} jobs/s vs raw addBulk ${Math.round(raw)}; CPU µs/job: ` +
          `API ${oursCpu.sender} vs addBulk's caller ${rawCpu.sender}, Redis ${oursCpu.redis} vs ${rawCpu.redis}`,
      );
      return {
        values: {
          batch_jobs_per_s: round(ours, 0),
          raw_addbulk_jobs_per_s: round(raw, 0),
          ratio: round(ours / raw),
          api_cpu_us: oursCpu.sender,
          baseline_caller_cpu_us: rawCpu.sender,
          redis_cpu_us: oursCpu.redis,
          baseline_redis_cpu_us: rawCpu.redis,
        },
        goalMet: ours / raw >= 0.6,
      };
    } finally {
      await api.stop();
      await queue.close();
    }
  },
};
