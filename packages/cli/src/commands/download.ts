import type { ApiClient } from '../api-client.ts';
import type { Command } from '../args.ts';
import { downloadBatch } from '../download/download-batch.ts';
import { EXIT } from '../errors.ts';
import { type Io, printJson, printLines } from '../io.ts';
import { isBatchFinished } from '../watch-batch.ts';
import { describeDownload } from './report.ts';

type DownloadCommand = Extract<Command, { name: 'download' }>;

/** Exits 1 only when an image could not be downloaded; a rerun picks up where it stopped. */
export async function download(
  command: DownloadCommand,
  client: ApiClient,
  io: Io,
): Promise<number> {
  let done = 0;
  const summary = await downloadBatch(client, command.batchId, command.out, {
    onFile: (file) => {
      done += 1;
      if (!command.json && io.stderr.isTTY) io.stderr.write(`\r${done} files… ${file.file}\x1b[K`);
    },
  });
  if (!command.json && io.stderr.isTTY && done > 0) io.stderr.write('\r\x1b[K');
  if (command.json) printJson(io, summary);
  else {
    printLines(io, [
      ...describeDownload(summary),
      ...(isBatchFinished(summary.batch)
        ? []
        : [`The batch is still ${summary.batch.status}: run this again later for the rest.`]),
    ]);
  }
  return summary.errors.length > 0 ? EXIT.failure : EXIT.ok;
}
