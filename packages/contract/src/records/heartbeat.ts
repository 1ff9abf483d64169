import Type from 'typebox';

export const InFlightJob = Type.Object({
  job_id: Type.String(),
  tenant: Type.String(),
  /** The attempt of the job this is (1 = first). */
  attempt: Type.Integer(),
  request_id: Type.Union([Type.String(), Type.Null()]),
  started_at: Type.String(),
});
export type InFlightJob = Type.Static<typeof InFlightJob>;

/** What a worker process says about itself every few seconds (stored as JSON, with a TTL). */
export const WorkerHeartbeat = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  pid: Type.Integer(),
  started_at: Type.String(),
  /** When this heartbeat was written. */
  seen_at: Type.String(),
  concurrency: Type.Integer(),
  /** What holds this worker's throughput: provider_quota, concurrency_cap, memory or storage (whether more workers would help). */
  limited_by: Type.Optional(Type.String()),
  /** The fleet's pace per model as this worker last read it, calls per minute. */
  pace_per_min: Type.Optional(Type.Record(Type.String(), Type.Number())),
  /** This worker's observed provider call latency, ms. */
  latency_ms: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  in_flight: Type.Array(InFlightJob),
});
export type WorkerHeartbeat = Type.Static<typeof WorkerHeartbeat>;
