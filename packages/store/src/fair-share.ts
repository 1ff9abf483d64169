import { redisKeys } from '@imagen-queue/contract';
import type { Redis } from 'ioredis';
import { type Stage, stagedWrites } from './queue-pipeline.ts';
import type { RedisClient } from './redis.ts';
import { defineScripts } from './scripts.ts';

/**
 * The last position with a priority of its own. BullMQ priorities end at 2^21 − 1 and each
 * position takes two (express, normal): a queue that never drains for about a million jobs
 * queues later jobs first come, first served at this position until it drains and restarts at 0.
 */
export const MAX_FAIR_POSITION = 2 ** 20 - 1;

/** The lane of one job: `express` = it came with a `priority`, so it goes ahead of its tenant's others. */
export type FairLane = 'normal' | 'express';

/** The BullMQ priority of a position: lower runs first, express before normal at one position. */
export function fairPriority(position: number, lane: FairLane): number {
  return Math.min(position, MAX_FAIR_POSITION) * 2 + (lane === 'express' ? 0 : 1);
}

/** The position a BullMQ priority stands for. */
export function fairPosition(priority: number): number {
  return Math.floor(priority / 2);
}

/**
 * A request counted against its tenant's limit in the same call that reserves its jobs'
 * positions: `key` is `@fastify/rate-limit`'s count for the tenant (in the queue's hash tag, see
 * `redisKeys().rateLimitNamespace`), so the count is shared with the plugin's other routes.
 */
export interface RequestCount {
  key: string;
  windowMs: number;
  max: number;
}

/** The count after a request: `current` requests in the window, which ends in `ttlMs`. */
export interface RequestCounted {
  current: number;
  ttlMs: number;
  max: number;
}

/** The request was over its tenant's limit: nothing was reserved (and nothing queued). */
export class RequestLimitExceeded extends Error {
  readonly counted: RequestCounted;
  constructor(counted: RequestCounted) {
    super(`over the limit of ${counted.max} requests a window`);
    this.name = 'RequestLimitExceeded';
    this.counted = counted;
  }
}

/**
 * Fair share of the generation queue between tenants (start-time fair queuing on BullMQ
 * priorities). The API reserves each new job's position; the worker moves the clock to the
 * position of each job it starts. All of it is one hash beside the queue's own keys, under the
 * queue's hash tag, so it works unchanged on a Redis Cluster and with any number of processes.
 */
export interface FairShare {
  /** BullMQ priorities for a tenant's new jobs, one per lane entry, in order. */
  reserve(tenant: string, lanes: readonly FairLane[]): Promise<number[]>;
  /**
   * `reserve`, counting the request that brings the jobs against its tenant's limit in the same
   * call; throws `RequestLimitExceeded` (having reserved nothing) when it is over. On a single
   * Redis, `stage`'s writes are made by that same call once the request is admitted (`staged`:
   * true), one round trip less; on a Cluster, where they are in other slots, they are not, and
   * the caller sends them as before.
   */
  admit(
    tenant: string,
    lanes: readonly FairLane[],
    count: RequestCount,
    stage?: Stage,
  ): Promise<{ priorities: number[]; counted: RequestCounted; staged: boolean }>;
  /** A worker started the job with this BullMQ priority. */
  started(priority: number | undefined): Promise<void>;
  /**
   * Jobs that start no later than this queued one: those running, those waiting without a
   * priority, those before it in fair-share order, and it. `null` when it is not queued by
   * priority (started, delayed for a retry, or gone).
   */
  jobsAhead(jobId: string): Promise<number | null>;
}

interface FairScripts {
  /** Keys counted by the first argument (5, or 6 with a request count, and a key a staged write). */
  reserve(...args: string[]): Promise<[number, number, number?, number?]>;
  advance(key: string, position: string): Promise<number>;
}

export function createFairShare(redis: RedisClient, options: { prefix: string }): FairShare {
  const client = redis as Redis;
  const scripts = defineScripts<FairScripts>(redis, {
    reserve: { file: 'fair-reserve', keys: 'dynamic' },
    advance: { file: 'fair-advance', keys: 1 },
  });
  const keys = redisKeys(options.prefix);
  const queueKey = keys.generationQueue;
  const stateKey = keys.fairShare();
  const queueKeys = [
    queueKey('wait'),
    queueKey('prioritized'),
    queueKey('delayed'),
    queueKey('paused'),
  ];
  const call = (
    tenant: string,
    lanes: readonly FairLane[],
    count?: RequestCount,
    writes?: { keys: string[]; args: string[] },
  ) => {
    const express = String(lanes.filter((lane) => lane === 'express').length);
    const normal = String(lanes.length - Number(express));
    if (!count) return scripts.reserve('5', stateKey, ...queueKeys, tenant, normal, express);
    const staged = writes ?? { keys: [], args: [] };
    return scripts.reserve(
      String(6 + staged.keys.length),
      stateKey,
      ...queueKeys,
      count.key,
      ...staged.keys,
      tenant,
      normal,
      express,
      String(count.windowMs),
      String(count.max),
      ...staged.args,
    );
  };
  // A Cluster's keys of another hash tag than the queue's cannot go in the queue's script.
  const oneSlot = !(redis as { isCluster?: boolean }).isCluster;
  const priorities = (lanes: readonly FairLane[], firstNormal: number, firstExpress: number) => {
    let normal = firstNormal;
    let fast = firstExpress;
    return lanes.map((lane) =>
      lane === 'express' ? fairPriority(fast++, lane) : fairPriority(normal++, lane),
    );
  };
  return {
    async reserve(tenant, lanes) {
      const [firstNormal, firstExpress] = await call(tenant, lanes);
      return priorities(lanes, firstNormal, firstExpress);
    },
    async admit(tenant, lanes, count, stage) {
      const writes = stage && oneSlot ? stagedWrites(stage) : undefined;
      const [firstNormal, firstExpress, current = 0, ttlMs = 0] = await call(
        tenant,
        lanes,
        count,
        writes,
      );
      const counted = { current, ttlMs: Math.max(0, ttlMs), max: count.max };
      if (firstNormal === 0) throw new RequestLimitExceeded(counted);
      return {
        priorities: priorities(lanes, firstNormal, firstExpress),
        counted,
        staged: writes !== undefined,
      };
    },
    async started(priority) {
      if (!priority) return;
      await scripts.advance(stateKey, String(fairPosition(priority)));
    },
    async jobsAhead(jobId) {
      // One slot (the queue's hash tag): a pipeline, so the three figures are of one moment.
      const answers = await client
        .pipeline()
        .zrank(queueKey('prioritized'), jobId)
        .llen(queueKey('wait'))
        .llen(queueKey('active'))
        .exec();
      const [rank, waiting, active] = (answers ?? []).map(([error, value]) => {
        if (error) throw error;
        return value as number | null;
      });
      if (rank === null || rank === undefined) return null;
      return rank + 1 + (waiting ?? 0) + (active ?? 0);
    },
  };
}
