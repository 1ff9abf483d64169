import {
  BATCH_RECORD,
  type BatchRecord,
  type GenerateImagesPayload,
  JOB_RECORD,
  type JobRecord,
  redisKeys,
  toBatchView,
} from '@imagen-queue/contract';
import {
  type Config,
  faultPoint,
  generationJobOptions,
  noTracing,
  type Tracing,
} from '@imagen-queue/shared';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createBatchStore } from './batch-store.ts';
import { createFairShare } from './fair-share.ts';
import { listHorizon, listIndexTtlSeconds } from './list-index.ts';
import type { RedisClient } from './redis.ts';
import { defineScripts } from './scripts.ts';

/**
 * BullMQ's `addBulk` is one MULTI per call; this many jobs a call keeps each one short, and lets
 * a 1,000-job batch's chunks overlap (see `queueJobs`).
 */
export const ACCEPT_CHUNK = 250;
/**
 * A batch still accepting after this long is presumed abandoned by its process (accepting
 * 10,000 jobs takes well under a second) and rolled forward by any API or worker.
 */
export const ACCEPT_RECOVERY_MS = 15_000;

/** What an Idempotency-Key of a batch holds: the batch while accepting, the answer once done. */
export interface StoredAcceptance {
  fingerprint: string;
  state: 'accepting' | 'done';
  batchId: string;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface AcceptOptions {
  connection: RedisClient;
  prefix: string;
  config: Config;
  queue: Queue<GenerateImagesPayload>;
  /** Gives each queued job a trace of its own, linked to the submit span (off: no-op). */
  tracing?: Tracing;
}

export interface NewAcceptance {
  batch: BatchRecord;
  jobs: JobRecord[];
  requestId: string;
  idempotency?: { key: string; fingerprint: string; ttlSeconds: number };
}

/**
 * Accepting a batch so that it happens whole or not at all, whatever line the process dies at:
 * record everything (one script), queue the jobs by their fixed ids (idempotent), finalize
 * (one script). A batch found still accepting, by a retry with its Idempotency-Key or by the
 * sweeper, is rolled forward: its still-queued jobs are added again (a no-op for those already
 * in BullMQ) and it is finalized.
 */
export function createBatchAccepting(options: AcceptOptions) {
  const client = options.connection as Redis;
  const scripts = defineScripts<{
    /** The keys' count first; the rest as one array, which ioredis flattens. */
    accept(numberOfKeys: string, args: (string | Buffer)[]): Promise<[string, string?]>;
    finish(...args: string[]): Promise<number>;
  }>(options.connection, {
    accept: { file: 'accept-batch', keys: 'dynamic' },
    finish: { file: 'finish-accepting', keys: 3 },
  });
  const keys = redisKeys(options.prefix);
  const fair = createFairShare(options.connection, { prefix: options.prefix });
  const batches = createBatchStore(options.connection, { prefix: options.prefix });
  const placeholder = (tenant: string) => keys.idempotency(tenant, '-');

  const answerOf = (batch: BatchRecord) => ({
    status: 202,
    headers: { location: `/v1/batches/${batch.id}` },
    body: toBatchView(batch),
  });

  const reserve = (tenant: string, count: number) =>
    fair.reserve(
      tenant,
      Array.from({ length: count }, () => 'normal'),
    );

  /**
   * Queues the given jobs of the batch in chunks; ids are the records', so a repeat is a no-op.
   * Their fair-share positions are reserved here, unless the caller has reserved them already.
   */
  const tracing = options.tracing ?? noTracing;
  const queueJobs = async (
    tenant: string,
    batchId: string,
    ids: string[],
    requestId: string,
    reserved?: Promise<number[]>,
  ) => {
    if (ids.length === 0) return;
    const priorities = await (reserved ?? reserve(tenant, ids.length));
    tracing.tagTrace(null, batchId);
    const traces = tracing.startJobTraces(ids, batchId);
    try {
      // Two chunks in flight: Redis runs one while this process builds the next, and a process
      // that dies leaves at most the chunk after the last one answered queued beyond it.
      let previous: Promise<unknown> = Promise.resolve();
      for (let i = 0; i < ids.length; i += ACCEPT_CHUNK) {
        const chunk = ids.slice(i, i + ACCEPT_CHUNK);
        const adding = options.queue.addBulk(
          chunk.map((id, j) => {
            const metadata = traces.metadata[i + j];
            return {
              name: 'generate-images' as const,
              data: { jobId: id, tenant, requestId },
              opts: {
                ...generationJobOptions(options.config, { id }, priorities[i + j]!),
                ...(metadata ? { telemetry: { metadata } } : {}),
              },
            };
          }),
        );
        // Awaited below, after the chunk before it; failing meanwhile is no unhandled rejection.
        adding.catch(() => {});
        await previous;
        previous = adding.then(() => faultPoint('batch-after-chunk'));
      }
      await previous;
    } finally {
      traces.end();
    }
  };

  /**
   * Marks the batch queued and stores its answer. The accepting request knows the batch and its
   * fingerprint already (`known`: two reads saved); a roll-forward reads them.
   */
  const finish = async (
    tenant: string,
    batchId: string,
    idemKey: string | null,
    known?: { batch: BatchRecord; fingerprint: string },
  ) => {
    const batch = known?.batch ?? (await batches.get(tenant, batchId));
    if (!batch) {
      await client.zrem(keys.accepting(tenant), batchId);
      return null;
    }
    const answer = answerOf(batch);
    const stored: StoredAcceptance = {
      fingerprint:
        known?.fingerprint ??
        (await client.hget(keys.batch(tenant, batchId), 'idem_fingerprint')) ??
        '',
      state: 'done',
      batchId,
      ...answer,
    };
    await scripts.finish(
      keys.batch(tenant, batchId),
      keys.accepting(tenant),
      idemKey ?? placeholder(tenant),
      batchId,
      JSON.stringify(stored),
      String(options.config.idempotency.ttlSeconds),
      idemKey ? '1' : '0',
    );
    return answer;
  };

  /** Finishes a batch someone else began: queues what is still queued, then finalizes. */
  const rollForward = async (tenant: string, batchId: string) => {
    const [accepting, idemKey, requestId] = await client.hmget(
      keys.batch(tenant, batchId),
      'accepting',
      'idem_key',
      'request_id',
    );
    if (accepting === '1') {
      const ids = await client.lrange(keys.batchJobs(tenant, batchId), 0, -1);
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.hget(keys.job(tenant, id), 'status');
      const statuses = (await pipeline.exec()) ?? [];
      // Only jobs nobody has started: a finished job's BullMQ entry may be trimmed already,
      // and adding it again would run it twice.
      const open = ids.filter((_, i) => statuses[i]?.[1] === 'queued');
      await queueJobs(tenant, batchId, open, requestId ?? 'recovered');
    }
    return finish(tenant, batchId, idemKey || null);
  };

  return {
    /**
     * Records the batch (or finds the one its Idempotency-Key names) and sees it accepted.
     * Returns the answer, and whether it is a replay.
     */
    async accept(input: NewAcceptance) {
      const { batch, jobs, idempotency } = input;
      const tenant = batch.tenant;
      // Issued before the script, in the same write: the sweeper can find the tenant before the
      // batch is accepting, without a round trip of its own.
      const registered = client.sadd(keys.acceptingTenants(), tenant);
      const idemKey = idempotency?.key ?? null;
      const pending: StoredAcceptance = {
        fingerprint: idempotency?.fingerprint ?? '',
        state: 'accepting',
        batchId: batch.id,
      };
      const batchFields = {
        ...BATCH_RECORD.encode(batch),
        cancel_requested: '0',
        request_id: input.requestId,
        idem_key: idemKey ?? '',
        idem_fingerprint: idempotency?.fingerprint ?? '',
      };
      const listTtl = listIndexTtlSeconds(options.config.worker.retentionSeconds);
      const args: (string | Buffer)[] = [
        idemKey ?? placeholder(tenant),
        keys.batch(tenant, batch.id),
        keys.batchJobs(tenant, batch.id),
        keys.accepting(tenant),
        keys.listIndex(tenant, 'batches'),
        keys.listIndex(tenant, 'jobs'),
        ...jobs.map((job) => keys.job(tenant, job.id)),
        JSON.stringify(pending),
        String(idempotency?.ttlSeconds ?? 0),
        JSON.stringify(batchFields),
        String(Date.now()),
        idemKey ? '1' : '0',
        String(listTtl),
        listHorizon('batches', listTtl),
        listHorizon('jobs', listTtl),
      ];
      pushJobHashes(args, jobs);
      // One array argument (ioredis flattens it): 10,000 jobs' fields are too many to spread.
      const recorded = scripts.accept(String(6 + jobs.length), args);
      // Without an Idempotency-Key the script always records a new batch, so the jobs' positions
      // are reserved in the same write, after it, instead of a round trip later. (With one, the
      // batch may exist already, and a reservation for it would set the tenant back for nothing.)
      // Should the script itself fail, those positions are skipped: the tenant's next jobs queue
      // that many places later, which only a Redis error can cause.
      const reserved = idemKey ? undefined : reserve(tenant, jobs.length);
      reserved?.catch(() => {});
      const [result] = await Promise.all([recorded, registered]);
      if (result[0] === 'exists') {
        const stored = JSON.parse(result[1]!) as StoredAcceptance;
        return { kind: 'exists' as const, stored };
      }
      faultPoint('batch-after-record');
      await queueJobs(
        tenant,
        batch.id,
        jobs.map((job) => job.id),
        input.requestId,
        reserved,
      );
      faultPoint('batch-before-finish');
      const answer = await finish(tenant, batch.id, idemKey, {
        batch,
        fingerprint: pending.fingerprint,
      });
      faultPoint('batch-after-finish');
      return { kind: 'new' as const, answer: answer ?? answerOf(batch) };
    },
    rollForward,
    /** Rolls forward every batch accepting for longer than the recovery bound. */
    async sweep(now = Date.now()): Promise<number> {
      let recovered = 0;
      for (const tenant of await client.smembers(keys.acceptingTenants())) {
        const stale = await client.zrangebyscore(
          keys.accepting(tenant),
          '-inf',
          now - ACCEPT_RECOVERY_MS,
        );
        for (const batchId of stale) {
          await rollForward(tenant, batchId);
          recovered += 1;
        }
      }
      return recovered;
    },
  };
}
export type BatchAccepting = ReturnType<typeof createBatchAccepting>;

/**
 * Appends the jobs' hashes as the accept script takes them: first the pairs that every hash has
 * right after its `id` (the tenant, the batch, the status and the creation time: the same for
 * every job of a batch, so sent once rather than once a job), then every job's own, each value
 * ended by a NUL byte: its number of pairs of its own, its id, those pairs.
 * The script writes each hash as `id`, the shared pairs, its own: the fields and their order are
 * those of `JOB_RECORD.encode`. A few arguments rather than about 14 a job: encoding the
 * command's arguments (ioredis) and parsing them (Redis) cost per argument, and were most of the
 * call. They are written as UTF-8 straight into a buffer, a job at a time: joining ~12,000
 * strings and then encoding the result for the socket cost several times as much. The buffer is
 * sent in pieces of whole jobs under `PIECE_BYTES`: Redis reads an argument of 32 KB or more
 * into a buffer of its own and keeps one that size for the connection's next command until it
 * has been idle a while (half a megabyte a 1,000-job chunk, `redis_bytes_per_job` saw it).
 */
function pushJobHashes(args: (string | Buffer)[], jobs: JobRecord[]): void {
  const hashes = jobs.map(hashPairs);
  const first = hashes[0] ?? [];
  // The end (exclusive) of the pairs after `id` that every hash shares with the first.
  let shared = Math.max(first.length, 2);
  for (const pairs of hashes) {
    let end = 2;
    while (end < shared && pairs[end] === first[end] && pairs[end + 1] === first[end + 1]) {
      end += 2;
    }
    shared = end;
  }
  args.push(String((shared - 2) / 2));
  for (let i = 2; i < shared; i++) args.push(first[i]!);
  // At most 3 bytes of UTF-8 a UTF-16 unit, and the NUL after each value.
  let bound = 0;
  for (const pairs of hashes) {
    bound += 8 + 3 * pairs[1]!.length;
    for (let i = shared; i < pairs.length; i++) bound += 1 + 3 * pairs[i]!.length;
  }
  const own = Buffer.allocUnsafe(bound);
  let at = 0;
  let piece = 0;
  for (const pairs of hashes) {
    if (at - piece >= PIECE_BYTES) {
      args.push(own.subarray(piece, at));
      piece = at;
    }
    // One job's values as one string, written with one call (a call a value cost twice as much).
    let values = `${(pairs.length - shared) / 2}\0${pairs[1]}\0`;
    for (let i = shared; i < pairs.length; i++) {
      const value = pairs[i]!;
      // No stored value holds a NUL (JSON escapes it; ids and numbers cannot have one), so it
      // ends each value unambiguously; one that did would shift every field after it.
      if (value.includes('\0')) throw new Error('a job record value holds a NUL byte');
      values += value;
      values += '\0';
    }
    at += own.write(values, at);
  }
  args.push(own.subarray(piece, at));
}

/** Below Redis's `PROTO_MBULK_BIG_ARG` (32 KB) with room for the job that goes over it. */
const PIECE_BYTES = 16 * 1024;

/** A job's hash as a flat field/value list, `id` first. */
function hashPairs(job: JobRecord): string[] {
  const hash = JOB_RECORD.encode(job);
  const pairs = ['id', job.id];
  for (const field in hash) if (field !== 'id') pairs.push(field, hash[field]!);
  return pairs;
}

/** The sweeper every API and worker runs: abandoned acceptances finish within the bound. */
export function startAcceptSweeper(
  accepting: Pick<BatchAccepting, 'sweep'>,
  onError: (error: Error) => void,
  intervalMs = 5_000,
) {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => accepting.sweep()).catch(onError);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
