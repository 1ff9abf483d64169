// `pnpm bench`: every figure beside its baseline, measured in the same run on the same Redis.
// BENCH_QUICK=1 shortens every figure (development only). BENCH_ONLY=submit,pipeline or
// `pnpm bench --only quota_use,quota_known` runs a subset.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fairness } from './figures/fairness.ts';
import { ingest } from './figures/ingest.ts';
import { memory } from './figures/memory.ts';
import { pipeline } from './figures/pipeline.ts';
import { quotaKnown, quotaUse } from './figures/quota.ts';
import { rateLimit } from './figures/rate-limit.ts';
import { redisBytes } from './figures/redis-bytes.ts';
import { status } from './figures/status.ts';
import { submit } from './figures/submit.ts';
import { webhookLatency } from './figures/webhook-latency.ts';
import { type Figure, type FigureContext, NotMeasured } from './lib/figure.ts';
import { ROOT, stopAll } from './lib/processes.ts';
import { type FigureOutcome, toJson, toMarkdown } from './lib/report.ts';
import { startServices } from './lib/services.ts';
import { loadSettings } from './lib/settings.ts';

const quick = process.env.BENCH_QUICK === '1';
const onlyFlag = process.argv.indexOf('--only');
const only = (onlyFlag >= 0 ? process.argv[onlyFlag + 1] : process.env.BENCH_ONLY)
  ?.split(',')
  .filter(Boolean);
const settings = loadSettings(quick);
const startedAt = new Date();
const log = (message: string) =>
  console.log(
    `[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}`,
  );

async function measure(figure: Figure, ctx: FigureContext): Promise<FigureOutcome> {
  const started = Date.now();
  const base = { key: figure.key, what: figure.what, goal: figure.goal };
  const seconds = () => Math.round((Date.now() - started) / 1000);
  log(`${figure.key}: started`);
  try {
    const measured = await figure.run(ctx);
    log(`${figure.key}: done in ${seconds()} s`);
    return { ...base, measured: true, ...measured, seconds: seconds() };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    if (!(error instanceof NotMeasured)) console.error(error);
    log(`${figure.key}: not measured: ${reason}`);
    return { ...base, measured: false, reason, seconds: seconds() };
  }
}

// Every figure runs alone: rate_limit (three minutes of an API, two workers and a naive
// worker retrying its 429s) used to run beside the others, and the processes it keeps busy
// moved their figures, `memory`'s growth most (its first half ran beside it, its second not).
const figures: Figure[] = [
  submit,
  ingest,
  status,
  pipeline,
  webhookLatency,
  memory,
  fairness,
  quotaUse,
  quotaKnown,
  redisBytes,
  rateLimit,
];
const selected = figures.filter((f) => !only || only.includes(f.key));

const services = await startServices();
const ctx: FigureContext = { services, settings, log };
const outcomes: FigureOutcome[] = [];
try {
  for (const figure of selected) outcomes.push(await measure(figure, ctx));
} finally {
  await stopAll();
  await services.stop();
}

const dir = resolve(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const markdown = toMarkdown(outcomes, quick, startedAt);
writeFileSync(
  resolve(dir, 'latest.json'),
  `${JSON.stringify(toJson(outcomes, quick, startedAt), null, 2)}\n`,
);
writeFileSync(resolve(dir, 'latest.md'), markdown);
console.log(`\n${markdown}`);
console.log(
  `written: bench/results/latest.json, bench/results/latest.md (${Math.round((Date.now() - startedAt.getTime()) / 1000)} s)`,
);
// Non-zero only when something could not be measured; a missed goal is a result, not an error.
process.exitCode = outcomes.some((o) => !o.measured) ? 1 : 0;
