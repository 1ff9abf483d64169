import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { ROOT, type RunningProcess, waitUntil } from '../support/processes.ts';
import { startStack, TEST_KEY } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

const JOB_ID = 'imagen_queue.job_id';
const REPORT_MODULES = `--import=${resolve(ROOT, 'test/support/report-modules.ts')}`;

/** The OpenTelemetry modules a stopped process loaded, as `report-modules.ts` printed them. */
async function loadedTelemetry(
  process_: RunningProcess,
): Promise<{ module: string; parent: string }[]> {
  const stderr = process_.child.stderr!;
  if (!stderr.readableEnded) await new Promise((done) => stderr.once('close', done));
  const line = /loaded-telemetry-modules (\[.*\])/.exec(process_.output());
  if (!line) throw new Error(`${process_.name} printed no module list:\n${process_.output()}`);
  return JSON.parse(line[1]!);
}

type Stack = Awaited<ReturnType<typeof startStack>>;

describe('traces, with OTEL_* set: one trace per job, API to webhook', () => {
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let hooks: Receiver;
  let stack: Stack;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    hooks = await startReceiver();
    stack = await startStack({
      prefix: testPrefix(),
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        NODE_OPTIONS: REPORT_MODULES,
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([otlp?.close(), hooks?.close()]);
  });

  it('covers submit, enqueue, queue wait, attempt, limiter, provider, S3 and webhook', async () => {
    const prompt = 'A secret garden at midnight';
    // A token in the webhook URL's query string, as some receivers want it.
    const hookToken = 'hook-token-5f0c9e';
    const job = await stack.submitJob({
      prompt,
      seed: 7,
      webhook_url: `${hooks.url}?token=${hookToken}`,
    });
    // The drop-in's `b64_json` makes the API read the image back by its presigned URL.
    const dropIn = await stack.request('/v1/images/generations', {
      method: 'POST',
      body: JSON.stringify({ prompt: 'drop-in', response_format: 'b64_json' }),
    });
    expect(dropIn.status, JSON.stringify(dropIn.body)).toBe(200);
    expect(
      (dropIn.body as { data: { b64_json: string }[] }).data[0]!.b64_json.length,
    ).toBeGreaterThan(0);
    const batchId = await stack.submitBatch([{ prompt: 'batch one' }, { prompt: 'batch two' }]);
    await hooks.waitFor(1);
    await stack.waitForBatch(batchId);
    const batchJobs = await stack.batchJobs(batchId);

    const ofJob = (id: string) => otlp.spans.filter((span) => span.attributes[JOB_ID] === id);
    const names = (spans: ReceivedSpan[]) => spans.map((s) => `${s.service}:${s.name}`);
    // The last span of the lone job's trace is its webhook's HTTP call, from the worker.
    await waitUntil(
      async () =>
        ofJob(job.id).some((s) => s.name === 'webhook.first_attempt') &&
        ofJob(job.id).filter((s) => s.service === 'imagen-queue-worker' && s.name === 'POST')
          .length >= 2,
      30_000,
      'the job’s webhook spans',
    );

    const spans = ofJob(job.id);
    const traceIds = new Set(spans.map((s) => s.traceId));
    expect(traceIds.size, names(spans).join('\n')).toBe(1);
    const [traceId] = traceIds;
    // Every span of that trace carries the job id: none of them is left without it.
    expect(
      otlp.spans.filter((s) => s.traceId === traceId && s.attributes[JOB_ID] !== job.id),
    ).toEqual([]);
    const seen = names(spans);
    for (const expected of [
      'imagen-queue-api:request',
      'imagen-queue-worker:queue.wait',
      'imagen-queue-worker:limiter.wait',
      'imagen-queue-worker:provider.generate',
      'imagen-queue-worker:S3.PutObject',
    ]) {
      expect(seen, seen.join('\n')).toContain(expected);
    }
    expect(
      seen.some((n) => /^imagen-queue-api:addBulk/.test(n)),
      seen.join('\n'),
    ).toBe(true);
    expect(seen.some((n) => /^imagen-queue-worker:process generation/.test(n))).toBe(true);
    // The first delivery attempt is the finishing worker's own (the delivery queue only retries).
    expect(seen).toContain('imagen-queue-worker:webhook.first_attempt');
    const provider = spans.find((s) => s.name === 'provider.generate')!;
    expect(provider.attributes).toMatchObject({
      'gen_ai.request.model': 'imagen-3.0-generate-002',
      'imagen_queue.provider.status': 'ok',
      'imagen_queue.prompt_length': prompt.length,
    });
    expect(provider.attributes['imagen_queue.provider.latency_ms']).toBeTypeOf('number');
    // The emulator bills like the provider: the job's cost is on its provider span.
    expect(provider.attributes['imagen_queue.cost_usd']).toBe(
      (await stack.job(job.id)).usage?.cost_usd,
    );

    // Each batch job has a trace of its own, linked to the batch's submit span.
    // The submit request's trace is the batch's (tagged with its id); each job links to it.
    const submitTrace = otlp.spans.filter(
      (s) => s.service === 'imagen-queue-api' && s.attributes['imagen_queue.batch_id'] === batchId,
    );
    expect(submitTrace.map((s) => s.name)).toContain('request');
    const batchTraces = new Set<string>();
    for (const batchJob of batchJobs) {
      await waitUntil(
        async () => ofJob(batchJob.id).some((s) => s.name === 'S3.PutObject'),
        30_000,
        'a batch job’s spans',
      );
      const own = new Set(ofJob(batchJob.id).map((s) => s.traceId));
      expect(own.size).toBe(1);
      batchTraces.add([...own][0]!);
      const root = ofJob(batchJob.id).find((s) => s.name === 'enqueue generate-images')!;
      expect(root.service).toBe('imagen-queue-api');
      const linked = root.links.map((link) => link.spanId);
      expect(submitTrace.some((s) => linked.includes(s.spanId))).toBe(true);
    }
    expect(batchTraces.size).toBe(2);

    // BullMQ's polls, which start no job's trace, are not recorded.
    expect(otlp.spans.filter((s) => s.name.startsWith('getNextJob'))).toEqual([]);

    // The API's GET of the presigned URL was traced (by undici's instrumentation)…
    await waitUntil(
      async () =>
        otlp.spans.some(
          (s) =>
            s.service === 'imagen-queue-api' &&
            s.name === 'GET' &&
            String(s.attributes['url.full']).startsWith(stack.env.S3_ENDPOINT!),
        ),
      30_000,
      'the API’s span of its presigned GET',
    );
    // …and, like every other span, carries no query string: nothing secret, no prompt text,
    // no presigned URL's signature or credential, no webhook token in any attribute.
    const values = JSON.stringify(otlp.spans.map((s) => s.attributes));
    for (const secret of [
      TEST_KEY,
      'emulator-key',
      prompt,
      'X-Amz-Signature',
      'X-Amz-Credential',
      hookToken,
      'whsec_',
    ]) {
      expect(values).not.toContain(secret);
    }
    expect(otlp.spans.filter((s) => 'url.query' in s.attributes)).toEqual([]);
    // The job's log lines carry the trace id.
    const logged = stack.workers[0]!.output()
      .split('\n')
      .filter((line) => line.includes(job.id) && line.includes('"job succeeded"'));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0]).toContain(`"trace_id":"${traceId}"`);
    const accepted = stack.api
      .output()
      .split('\n')
      .find((line) => line.includes(job.id) && line.includes('"request completed"'));
    expect(accepted).toContain(`"trace_id":"${traceId}"`);

    await stack.stop();
    for (const process_ of [stack.api, ...stack.workers]) {
      const modules = (await loadedTelemetry(process_)).map((m) => m.module);
      expect(modules.some((m) => m.startsWith('@opentelemetry/sdk-trace/'))).toBe(true);
    }
  });
});

describe('traces, with no OTEL_* set', () => {
  it('loads no OpenTelemetry module in the API or the worker', async () => {
    const stack = await startStack({ prefix: testPrefix(), env: { NODE_OPTIONS: REPORT_MODULES } });
    try {
      const job = await stack.submitJob({ prompt: 'untraced' });
      await waitUntil(async () => (await stack.job(job.id)).status === 'succeeded', 30_000, 'job');
    } finally {
      await stack.stop();
    }
    for (const process_ of [stack.api, ...stack.workers]) {
      // prom-client (the /metrics library) requires the no-op API package for its exemplars,
      // whatever we configure; nothing else may load: no SDK, exporter or instrumentation.
      const others = (await loadedTelemetry(process_)).filter(
        ({ module, parent }) =>
          !(
            module.startsWith('@opentelemetry/api/') &&
            /^(prom-client|@opentelemetry\/api)\//.test(parent)
          ),
      );
      expect(others).toEqual([]);
    }
  });
});
