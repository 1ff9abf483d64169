import { cpus, totalmem } from 'node:os';
import type { FigureValues } from './figure.ts';

export type FigureOutcome =
  | {
      key: string;
      what: string;
      goal: string;
      measured: true;
      values: FigureValues;
      goalMet: boolean | null;
      note?: string;
      seconds: number;
    }
  | { key: string; what: string; goal: string; measured: false; reason: string; seconds: number };

export function machine() {
  const cpu = cpus();
  return {
    cpu: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'}`,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** `bench/results/latest.json`: one key per figure, its values, or why it was not measured. */
export function toJson(outcomes: FigureOutcome[], quick: boolean, startedAt: Date) {
  return {
    started_at: startedAt.toISOString(),
    quick,
    machine: machine(),
    ...Object.fromEntries(
      outcomes.map((o) => [
        o.key,
        o.measured
          ? { ...o.values, goal: o.goal, goal_met: o.goalMet, ...(o.note ? { note: o.note } : {}) }
          : { not_measured: o.reason, goal: o.goal },
      ]),
    ),
  };
}

const format = (values: FigureValues) =>
  Object.entries(values)
    .map(([k, v]) => `${k}=${v ?? '—'}`)
    .join(' ');

const verdict = (o: FigureOutcome) =>
  !o.measured ? 'not measured' : o.goalMet === null ? '—' : o.goalMet ? 'met' : 'MISSED';

/** A Markdown table (also what the terminal shows). */
export function toMarkdown(outcomes: FigureOutcome[], quick: boolean, startedAt: Date): string {
  const m = machine();
  const rows = outcomes.map(
    (o) =>
      `| \`${o.key}\` | ${o.measured ? format(o.values) : `not measured: ${o.reason}`} | ${o.goal} | ${verdict(o)}${o.measured && o.note ? ` (${o.note})` : ''} |`,
  );
  return [
    `Run ${startedAt.toISOString()}${quick ? ' (BENCH_QUICK: short settings, not comparable)' : ''} on ${m.cpu}, ${m.memory_gb} GB, Node ${m.node}, ${m.platform}.`,
    '',
    '| figure | measured | goal | |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
