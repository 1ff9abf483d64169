import { loadCliConfig } from './config.ts';
import { run } from './run.ts';

process.exitCode = await run(process.argv.slice(2), loadCliConfig(), {
  stdout: process.stdout,
  stderr: process.stderr,
});
