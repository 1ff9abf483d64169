import { mkdir, readFile } from 'node:fs/promises';
import type { ApiClient } from '../api-client.ts';
import type { Batch } from '../api-types.ts';
import type { Command } from '../args.ts';
import { checkInput } from '../check-input.ts';
import { downloadBatch } from '../download/download-batch.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import { parseInputFile, requestedImages } from '../input.ts';
import { type Io, printJson, printLines } from '../io.ts';
import { createProgressReporter, type ProgressReporter } from '../progress.ts';
import { batchSucceeded, watchBatch } from '../watch-batch.ts';
import { describeDownload, describeFailures } from './report.ts';

type SubmitCommand = Extract<Command, { name: 'submit' }>;

export async function submit(command: SubmitCommand, client: ApiClient, io: Io): Promise<number> {
  const jobs = parseInputFile(await readInput(command.file));
  // A line its model does not take fails here, naming line and field, before a batch exists.
  checkInput(jobs, await client.listModels());
  // Find out that the folder can't be made before the batch runs, not after.
  if (command.out) await mkdir(command.out, { recursive: true });
  const submitted = await client.submitBatch(jobs, { webhookUrl: command.webhook });
  if (!command.wait) {
    if (command.json) printJson(io, { batch: submitted });
    else {
      printLines(io, [
        `Submitted batch ${submitted.id} with ${submitted.counts.total} jobs.`,
        `Follow it with: pnpm cli status ${submitted.id}`,
      ]);
    }
    return EXIT.ok;
  }

  if (!command.json) io.stderr.write(`Submitted batch ${submitted.id} (${jobs.length} jobs)\n`);
  const imagesPerJob = jobs.reduce((sum, job) => sum + requestedImages(job), 0) / jobs.length;
  const reporter = command.json
    ? { update() {}, stop() {} }
    : createProgressReporter(io.stderr, imagesPerJob);
  const batch = await watchUntilInterrupted(client, submitted.id, reporter, io);
  const download = command.out ? await downloadBatch(client, batch.id, command.out) : undefined;

  if (command.json) {
    if (download) {
      const { batch: _batch, ...files } = download;
      printJson(io, { batch, download: files });
    } else printJson(io, { batch });
  } else {
    printLines(io, [
      ...(await finishedBatchLines(client, batch)),
      ...(download ? describeDownload(download) : []),
    ]);
  }
  const downloadFailed = (download?.errors.length ?? 0) > 0;
  return batchSucceeded(batch) && !downloadFailed ? EXIT.ok : EXIT.failure;
}

/** Ctrl-C stops the waiting, not the batch: say so, and how to pick it up again. */
async function watchUntilInterrupted(
  client: ApiClient,
  batchId: string,
  reporter: ProgressReporter,
  io: Io,
): Promise<Batch> {
  const onInterrupt = () => {
    reporter.stop();
    io.stderr.write(
      `\nStopped waiting; batch ${batchId} goes on. Follow it with: pnpm cli status ${batchId}\n`,
    );
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGINT', onInterrupt);
  try {
    return await watchBatch(client, batchId, reporter);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** The shell's convention for a command ended by SIGINT. */
const EXIT_INTERRUPTED = 130;

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`no such file: ${file}`);
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

async function finishedBatchLines(client: ApiClient, batch: Batch): Promise<string[]> {
  const { total, succeeded } = batch.counts;
  const lines = [`Batch ${batch.id} ${batch.status}: ${succeeded}/${total} succeeded.`];
  if (!batchSucceeded(batch)) lines.push(...(await describeFailures(client, batch)));
  return lines;
}
