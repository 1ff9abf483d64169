import { newId, normalizeGeneration } from '@imagen-queue/contract';
import { createBatchStore } from '@imagen-queue/store';
import { API_KEY, jobParams, NO_PROVIDER, stackEnv, startBenchApi, TENANT } from '../lib/api.ts';
import { type Figure, NotMeasured } from '../lib/figure.ts';
import { load } from '../lib/load.ts';
import { interleave, median, round, sleep } from '../lib/stats.ts';

const PREFIX = 'bench-status';

export const status: Figure = {
  key: 'status',
  what: 'GET /v1/batches/{id} p99, a 10-job vs a 100,000-job batch',
  goal: 'ratio ≤ 1.5',
  async run({ services, settings, log }) {
    const { bigBatch, requests, connections } = settings.status;
    // The API takes at most 10,000 jobs a batch: the big one is written through the batch
    // store the API itself uses (same records, same job list), with no worker to run it.
    const store = createBatchStore(services.redis, { prefix: PREFIX });
    const request = normalizeGeneration(jobParams(0));
    const seed = async (size: number) => {
      const id = newId('bat');
      await store.create({
        id,
        tenant: TENANT,
        metadata: {},
        webhookUrl: null,
        jobs: Array.from({ length: size }, () => ({
          id: newId('job'),
          tenant: TENANT,
          batchId: id,
          request,
          metadata: {},
          webhookUrl: null,
          priority: 0,
        })),
      });
      return id;
    };
    const [small, big] = [await seed(10), await seed(bigBatch)];
    log(`status: seeded a 10-job and a ${bigBatch}-job batch`);
    const api = await startBenchApi(stackEnv(services, PREFIX, NO_PROVIDER));
    try {
      let probe = await api.client.get(`/v1/batches/${big}`);
      // Redis may still be busy with the previous figure's clean-up: a few tries.
      for (let i = 0; i < 20 && probe.status >= 500; i++) {
        await sleep(250);
        probe = await api.client.get(`/v1/batches/${big}`);
      }
      if (probe.status === 404) throw new NotMeasured('GET /v1/batches/{id} answered 404');
      const total = (probe.body as { counts?: { total?: number } }).counts?.total;
      if (total !== bigBatch) {
        const answer = JSON.stringify(probe.body).slice(0, 300);
        throw new Error(`the big batch answered ${probe.status} ${answer}, not total=${bigBatch}`);
      }
      const p99 = (id: string) => async () => {
        const result = await load({
          url: `${api.url}/v1/batches/${id}`,
          headers: { authorization: `Bearer ${API_KEY}` },
          connections,
          amount: requests,
          expectStatus: 200,
        });
        if (result.failures > 0) throw new Error(`${result.failures} status reads failed`);
        return result.p99Ms;
      };
      await p99(small)(); // Warm-up.
      const rounds = await interleave(settings.rounds, p99(big), p99(small));
      const p99Big = median(rounds.ours);
      const p99Small = median(rounds.baseline);
      // A p99 of 0 ms (sub-millisecond histogram) would divide by zero: count it as 1 ms.
      const ratio = Math.max(p99Big, 1) / Math.max(p99Small, 1);
      return {
        values: {
          p99_ms_10: round(p99Small, 1),
          p99_ms_100k: round(p99Big, 1),
          ratio: round(ratio),
        },
        goalMet: ratio <= 1.5,
        ...(bigBatch === 100_000 ? {} : { note: `big batch of ${bigBatch} jobs (BENCH_QUICK)` }),
      };
    } finally {
      await api.stop();
    }
  },
};
