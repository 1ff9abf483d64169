/** How long each figure runs: `BENCH_QUICK=1` shortens all of them, for development. */
export interface Settings {
  quick: boolean;
  /** A/B rounds per interleaved figure. */
  rounds: number;
  submit: { seconds: number; connections: number };
  ingest: { batchesPerRound: number; batchSize: number; inFlight: number };
  pipeline: { jobs: number; concurrency: number };
  /** Measured over `seconds` after `warmupSeconds` (the first minute's burst, the limiter learning). */
  rateLimit: {
    warmupSeconds: number;
    seconds: number;
    limitRpm: number;
    concurrency: number;
    jobs: number;
  };
  memory: { jobs: number; concurrency: number };
  webhook: { jobs: number };
  status: { bigBatch: number; requests: number; connections: number };
  /** Jobs of the batch whose finished records `redis_bytes_per_job` weighs. */
  redisBytes: { finishedJobs: number };
}

export function loadSettings(quick: boolean): Settings {
  return quick
    ? {
        quick,
        rounds: 2,
        submit: { seconds: 2, connections: 50 },
        ingest: { batchesPerRound: 3, batchSize: 1000, inFlight: 2 },
        pipeline: { jobs: 300, concurrency: 16 },
        rateLimit: { warmupSeconds: 10, seconds: 20, limitRpm: 120, concurrency: 8, jobs: 150 },
        memory: { jobs: 200, concurrency: 32 },
        webhook: { jobs: 50 },
        status: { bigBatch: 10_000, requests: 500, connections: 10 },
        redisBytes: { finishedJobs: 1000 },
      }
    : {
        quick,
        rounds: 5,
        submit: { seconds: 5, connections: 50 },
        ingest: { batchesPerRound: 10, batchSize: 1000, inFlight: 2 },
        pipeline: { jobs: 1000, concurrency: 16 },
        rateLimit: { warmupSeconds: 65, seconds: 120, limitRpm: 120, concurrency: 8, jobs: 520 },
        memory: { jobs: 2000, concurrency: 32 },
        webhook: { jobs: 300 },
        status: { bigBatch: 100_000, requests: 3000, connections: 10 },
        redisBytes: { finishedJobs: 5000 },
      };
}
