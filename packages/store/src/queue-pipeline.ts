import { Job, type JobsOptions, type Queue, SpanKind } from 'bullmq';
import type { ChainableCommander } from 'ioredis';

/** One BullMQ job to add, as `Queue.addBulk` takes it. */
export interface BulkJob<T> {
  name: string;
  data: T;
  opts: JobsOptions;
}

/** The writes a store may queue ahead of a job's add: on a pipeline, or straight on the client. */
export interface RedisWrites {
  hset(key: string, fields: Record<string, string>): unknown;
  zadd(key: string, ...scoresAndMembers: string[]): unknown;
  zremrangebylex(key: string, min: string, max: string): unknown;
  expire(key: string, seconds: number): unknown;
}

/** Our own writes, sent ahead of the jobs and in the same round trip (they run first). */
export type Stage = (writes: RedisWrites) => void;

/** The client BullMQ wraps around our connection: raw ioredis commands, plus BullMQ's scripts. */
interface WrappedClient {
  pipeline(): ChainableCommander;
  isCluster?: boolean;
  hset(key: string, fields: Record<string, string>): Promise<unknown>;
  zadd(key: string, ...scoresAndMembers: string[]): Promise<unknown>;
  zremrangebylex(key: string, min: string, max: string): Promise<unknown>;
  expire(key: string, seconds: number): Promise<unknown>;
}

/** What `Queue.addBulk` uses inside, and what it hides: its trace, option defaults and backend. */
interface QueueInternals {
  jobsOpts: JobsOptions;
  trace<R>(
    kind: SpanKind,
    operation: string,
    destination: string,
    callback: (span: unknown, metadata?: string) => Promise<R>,
  ): Promise<R>;
  backend: {
    client: Promise<WrappedClient>;
    addJobToTransaction(
      client: ChainableCommander | WrappedClient,
      job: ReturnType<Job['asJSON']>,
      jobId: string | undefined,
    ): Promise<unknown>;
  };
}

/**
 * `Queue.addBulk`, with our own writes in the same round trip: a job's record and the job that
 * queues it reach Redis together instead of one after the other. The adds are BullMQ's own
 * scripts, queued the way its `addBulk` queues them (`backend.addJobToTransaction`), inside the
 * same producer span, with the same option merge and telemetry context.
 *
 * Several jobs go out as one pipeline. A single job (`POST /v1/jobs`) is issued straight on the
 * client, whose auto-pipelining sends everything issued in one tick — this job's commands and
 * those of every other request in flight — as one write: no pipeline object per request, and
 * one syscall for many requests.
 *
 * On a Redis Cluster our keys (the tenant's hash tag) and the queue's live in different slots,
 * and Redis orders commands only within one connection, so there `stage` is sent and answered
 * first: the record exists before its job is queued, as everywhere else.
 */
export async function addBulkWith<T>(
  queue: Queue<T>,
  jobs: readonly BulkJob<T>[],
  stage?: Stage,
): Promise<void> {
  const internals = queue as unknown as QueueInternals;
  await internals.trace(SpanKind.PRODUCER, 'addBulk', queue.name, async (_span, context) => {
    const client = await internals.backend.client;
    if (stage && client.isCluster) {
      await sendDirect(client, stage, []);
      stage = undefined;
    }
    const entries = jobs.map((job) => jobJson(queue, internals.jobsOpts, job, context));
    if (entries.length === 1) {
      const [entry] = entries;
      await sendDirect(client, stage, [
        internals.backend.addJobToTransaction(client, entry!.json, entry!.id),
      ]);
      return;
    }
    const pipeline = client.pipeline();
    stage?.(pipeline as unknown as RedisWrites);
    for (const { json, id } of entries) {
      // Queued synchronously; its outcome is read from `exec` below.
      internals.backend.addJobToTransaction(pipeline, json, id).catch(() => {});
    }
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  });
}

/** Runs `stage` on the client itself, then waits for its writes and for `after`. */
async function sendDirect(
  client: WrappedClient,
  stage: Stage | undefined,
  after: Promise<unknown>[],
): Promise<void> {
  const sent: Promise<unknown>[] = [];
  stage?.({
    hset: (key, fields) => sent.push(client.hset(key, fields)),
    zadd: (key, ...args) => sent.push(client.zadd(key, ...args)),
    zremrangebylex: (key, min, max) => sent.push(client.zremrangebylex(key, min, max)),
    expire: (key, seconds) => sent.push(client.expire(key, seconds)),
  });
  // Issued in that order in this tick, so Redis runs them in that order.
  await Promise.all([...sent, ...after]);
}

/**
 * A stage's writes as a script's keys and arguments (one key a write; then each write's command,
 * its argument count and its arguments), for a script that makes them itself
 * (`FairShare.admit`). Only the commands `RedisWrites` names.
 */
export function stagedWrites(stage: Stage): { keys: string[]; args: string[] } {
  const keys: string[] = [];
  const args: string[] = [];
  stage({
    hset(key, fields) {
      keys.push(key);
      const at = args.push('HSET', '');
      for (const field in fields) args.push(field, fields[field]!);
      args[at - 1] = String(args.length - at);
    },
    zadd(key, ...scoresAndMembers) {
      keys.push(key);
      args.push('ZADD', String(scoresAndMembers.length), ...scoresAndMembers);
    },
    zremrangebylex(key, min, max) {
      keys.push(key);
      args.push('ZREMRANGEBYLEX', '2', min, max);
    },
    expire(key, seconds) {
      keys.push(key);
      args.push('EXPIRE', '1', String(seconds));
    },
  });
  return { keys, args };
}

/** `addBulk`'s option merge and validation for one job. */
function jobJson<T>(
  queue: Queue<T>,
  defaults: JobsOptions,
  job: BulkJob<T>,
  context: string | undefined,
) {
  const telemetry = withContext(job.opts.telemetry, context);
  const opts = {
    ...defaults,
    ...job.opts,
    jobId: job.opts.jobId,
    ...(telemetry ? { telemetry } : {}),
  };
  const instance = new Job(queue, job.name, job.data, opts, opts.jobId);
  const json = instance.asJSON();
  (instance as unknown as { validateOptions(json: unknown): void }).validateOptions(json);
  return { json, id: instance.id };
}

/** `addBulk`'s rule: a job's own trace metadata wins, else the producer span's context. */
function withContext(telemetry: JobsOptions['telemetry'], context: string | undefined) {
  if (!context) return telemetry;
  const omitContext = telemetry?.omitContext;
  const metadata = telemetry?.metadata || (!omitContext && context);
  return metadata || omitContext ? { metadata: metadata || undefined, omitContext } : telemetry;
}
