import { type JobRecord, normalizeGeneration } from '@imagen-queue/contract';
import { type GenerationResult, type ImagenClient, ProviderError } from '@imagen-queue/imagen';
import type { Storage } from '@imagen-queue/shared';
import type { JobStore, ProviderLimiter, Spool, TransitionChange } from '@imagen-queue/store';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  generateImages,
  Interrupted,
  PermanentFailure,
  type ProcessorContext,
  RateLimited,
  SHUTDOWN_REASON,
} from './generate-images.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

function fakeStore(record: JobRecord): JobStore & { record: JobRecord } {
  const store = {
    record,
    keys: {} as JobStore['keys'],
    async create() {
      return store.record;
    },
    stageCreate() {},
    async get() {
      return structuredClone(store.record);
    },
    async remove() {},
    async transition(_tenant: string, _id: string, change: TransitionChange) {
      if (!change.from.includes(store.record.status))
        return { applied: false, terminalCount: 0, batchCompletion: 0 };
      store.record = {
        ...store.record,
        status: change.to,
        attempts:
          store.record.attempts + (change.countAttempt ? 1 : 0) - (change.uncountAttempt ? 1 : 0),
        ...(change.result !== undefined ? { result: change.result } : {}),
        ...(change.error !== undefined ? { error: change.error } : {}),
      };
      const terminal = ['succeeded', 'failed', 'canceled'].includes(change.to);
      return { applied: true, terminalCount: terminal ? 1 : 0, batchCompletion: 0 };
    },
  };
  return store;
}

function setup(generate: ImagenClient['generate'], storageFailures = 0) {
  const store = fakeStore({
    id: 'job_1',
    tenant: 'acme',
    batchId: null,
    status: 'queued',
    attempts: 0,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    request: normalizeGeneration({ prompt: 'a cat', seed: 7 }),
    metadata: {},
    webhookUrl: null,
    priority: 0,
    result: null,
    error: null,
  });
  const puts: string[] = [];
  let failuresLeft = storageFailures;
  const storage = {
    async putImage({ key, bytes }: { key: string; bytes: Uint8Array }) {
      if (failuresLeft-- > 0) throw new Error('S3 down');
      puts.push(key);
      return { sha256: 'abc', bytes: bytes.byteLength };
    },
  } as unknown as Storage;
  const spooled = new Map<string, GenerationResult>();
  const spool: Spool = {
    async save(_t, id, result) {
      spooled.set(id, result);
    },
    async load(_t, id) {
      return spooled.get(id) ?? null;
    },
    async clear(_t, id) {
      spooled.delete(id);
    },
  };
  const limiterEvents: string[] = [];
  const limiter: ProviderLimiter = {
    async acquire() {
      return async (outcome) => {
        limiterEvents.push(outcome);
      };
    },
    async currentRate() {
      return 60;
    },
    async paces() {
      return {};
    },
  };
  let calls = 0;
  const imagen: ImagenClient = {
    generate: (...args) => {
      calls++;
      return generate(...args);
    },
    async close() {},
  };
  const finished: string[] = [];
  const ctx = (finalAttempt = false): ProcessorContext => ({
    log: pino({ level: 'silent' }),
    store,
    storage,
    imagen,
    limiter,
    spool,
    signal: new AbortController().signal,
    finalAttempt,
    uploadRetry: { retries: 2, baseDelayMs: 1 },
    onFinished: async (job) => {
      finished.push(job.status);
    },
  });
  return { store, puts, spooled, limiterEvents, ctx, finished, calls: () => calls };
}

const twoImages = async (): Promise<GenerationResult> => ({
  images: [0, 1].map(() => ({
    bytes: PNG,
    mimeType: 'image/png' as const,
    width: 1024,
    height: 1024,
  })),
  enhancedPrompt: 'a fluffy cat',
  requested: 2,
  filtered: 0,
});

describe('generateImages', () => {
  it('stores every image at its contract key and records the result', async () => {
    const t = setup(twoImages);
    await generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx());
    expect(t.puts).toEqual(['acme/single/job_1/0.png', 'acme/single/job_1/1.png']);
    expect(t.store.record).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(t.store.record.result?.enhanced_prompt).toBe('a fluffy cat');
    expect(t.finished).toEqual(['succeeded']);
  });

  it('never calls the provider for a job that is already finished or canceled', async () => {
    const t = setup(twoImages);
    t.store.record.status = 'canceled';
    await generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx());
    expect(t.calls()).toBe(0);
  });

  it('a storage failure spools the images; the next attempt stores them without a second paid call', async () => {
    const t = setup(twoImages, 5);
    const ctx = t.ctx();
    await expect(generateImages({ jobId: 'job_1', tenant: 'acme' }, ctx)).rejects.toThrow(
      /storing the images failed/,
    );
    expect(t.store.record.status).toBe('queued');
    expect(t.spooled.size).toBe(1);
    await generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx());
    expect(t.calls()).toBe(1);
    expect(t.store.record.status).toBe('succeeded');
    expect(t.spooled.size).toBe(0);
  });

  it('a worker stopping after the provider answered keeps the images: the rerun pays nothing', async () => {
    const t = setup(twoImages, 1);
    const stopping = new AbortController();
    // The grace ends while the images are being stored: the upload fails under an aborted signal.
    const ctx = { ...t.ctx(), signal: stopping.signal };
    ctx.storage = {
      async putImage() {
        stopping.abort(SHUTDOWN_REASON);
        throw new Error('aborted');
      },
    } as unknown as Storage;
    await expect(generateImages({ jobId: 'job_1', tenant: 'acme' }, ctx)).rejects.toBeInstanceOf(
      Interrupted,
    );
    expect(t.store.record).toMatchObject({
      status: 'queued',
      attempts: 0,
      error: { code: 'interrupted' },
    });
    expect(t.spooled.size).toBe(1);
    await generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx());
    expect(t.calls()).toBe(1);
    expect(t.store.record.status).toBe('succeeded');
  });

  it('a 429 goes back to the queue as rate limited and teaches the limiter', async () => {
    const t = setup(async () => {
      throw new ProviderError('rate_limited', '429', {
        retryable: true,
        status: 429,
        retryAfterMs: 2000,
      });
    });
    const error = await generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx(true)).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(RateLimited);
    expect(error.retryAfterMs).toBe(2000);
    expect(t.store.record).toMatchObject({ status: 'queued', attempts: 0 });
    expect(t.limiterEvents).toEqual(['limited']);
  });

  it('a non-retryable provider error fails the job at once with its code', async () => {
    const t = setup(async () => {
      throw new ProviderError('content_filtered', 'refused by the safety filter', {
        retryable: false,
        status: 400,
      });
    });
    await expect(
      generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx()),
    ).rejects.toBeInstanceOf(PermanentFailure);
    expect(t.store.record).toMatchObject({
      status: 'failed',
      error: { code: 'content_filtered', retryable: false },
    });
    expect(t.finished).toEqual(['failed']);
  });

  it('a retryable error on the last attempt fails the job', async () => {
    const t = setup(async () => {
      throw new ProviderError('provider_unavailable', '503', { retryable: true, status: 503 });
    });
    await expect(
      generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx(false)),
    ).rejects.toBeInstanceOf(ProviderError);
    expect(t.store.record.status).toBe('queued');
    await expect(
      generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx(true)),
    ).rejects.toBeInstanceOf(PermanentFailure);
    expect(t.store.record).toMatchObject({ status: 'failed', attempts: 2 });
  });

  // The cancel that lands after the provider answered: test/integration/cancel-race.test.ts.
});

describe('generateImages: control', () => {
  it('a job past its start deadline ends deadline_exceeded without a provider call', async () => {
    const t = setup(twoImages);
    t.store.record.control = {
      startBefore: new Date(Date.now() - 1000).toISOString(),
      cache: true,
    };
    await generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx());
    expect(t.calls()).toBe(0);
    expect(t.store.record).toMatchObject({
      status: 'canceled',
      error: { code: 'deadline_exceeded' },
    });
    expect(t.finished).toEqual(['canceled']);
  });

  it('a spent budget ends the job budget_exceeded without a provider call', async () => {
    const t = setup(twoImages);
    const budgets = {
      tenantPerDay: { byName: {}, fallback: null },
      pricePerImage: { byName: {}, fallback: 0.04 },
      store: {
        reserve: async () => ({ ok: false as const, cap: 'batch' as const }),
        settle: async () => {},
        averagePerImage: async () => null,
        learn: async () => {},
        exhausted: async () => true,
      },
    };
    await generateImages({ jobId: 'job_1', tenant: 'acme' }, { ...t.ctx(), budgets });
    expect(t.calls()).toBe(0);
    expect(t.store.record).toMatchObject({
      status: 'canceled',
      error: { code: 'budget_exceeded' },
    });
    expect(t.finished).toEqual(['canceled']);
  });

  it('sends X-Client-Request-Id <job id>.<call>, the job id kept as it is', async () => {
    const seen: (string | undefined)[] = [];
    const t = setup(async (_params, options) => {
      seen.push(options?.requestId);
      return twoImages();
    });
    await generateImages({ jobId: 'job_1', tenant: 'acme' }, t.ctx());
    expect(seen).toEqual(['job_1.1']);
  });
});
