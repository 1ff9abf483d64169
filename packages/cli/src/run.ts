import { createApiClient } from './api-client.ts';
import { parseCommand, USAGE } from './args.ts';
import { cancel } from './commands/cancel.ts';
import { download } from './commands/download.ts';
import { models } from './commands/models.ts';
import { status } from './commands/status.ts';
import { submit } from './commands/submit.ts';
import type { CliConfig } from './config.ts';
import { ApiError, CliError, EXIT } from './errors.ts';
import type { Io } from './io.ts';

/** Runs one command line and returns the exit code; never throws. */
export async function run(argv: string[], config: CliConfig, io: Io): Promise<number> {
  const json = argv.includes('--json');
  try {
    const command = parseCommand(argv);
    if (command.name === 'help') {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    const client = createApiClient(config.baseUrl, config.apiKey);
    switch (command.name) {
      case 'submit':
        return await submit(command, client, io);
      case 'status':
        return await status(command, client, io);
      case 'download':
        return await download(command, client, io);
      case 'cancel':
        return await cancel(command, client, io);
      case 'models':
        return await models(command, client, io);
    }
  } catch (error) {
    return reportError(error, io, json);
  }
}

function reportError(error: unknown, io: Io, json: boolean): number {
  if (!(error instanceof CliError)) {
    io.stderr.write(`unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.failure;
  }
  if (json) {
    const problem = error instanceof ApiError ? error.problem : undefined;
    const body = { error: { message: error.message, details: error.details, problem } };
    io.stderr.write(`${JSON.stringify(body)}\n`);
  } else {
    const lines = [`error: ${error.message}`, ...error.details.map((line) => `  ${line}`)];
    if (error.exitCode === EXIT.usage) lines.push('', 'Run `pnpm cli --help` for usage.');
    io.stderr.write(`${lines.join('\n')}\n`);
  }
  return error.exitCode;
}
