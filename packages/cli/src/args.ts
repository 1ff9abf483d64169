import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

export type Command =
  | { name: 'submit'; file: string; webhook?: string; wait: boolean; out?: string; json: boolean }
  | { name: 'status'; id: string; json: boolean }
  | { name: 'download'; batchId: string; out: string; json: boolean }
  | { name: 'cancel'; id: string; json: boolean }
  | { name: 'models'; json: boolean }
  | { name: 'help' };

export const USAGE = `Usage: pnpm cli <command> [options]

Commands:
  submit FILE [--webhook URL] [--wait] [--out DIR]
      Submit a batch: FILE has one prompt per line, or one JSON object of generation
      parameters per line (NDJSON), each checked against its model's schema (GET /v1/models)
      before anything is sent. --wait shows progress until every job is finished;
      --out DIR also downloads the images and writes DIR/index.html (implies --wait).
  status ID                 Show a job (job_…) or a batch (bat_…).
  download BATCH_ID --out DIR
      Download a batch's images as {index}-{slug}.png with an index.html gallery.
      Files already in DIR are kept, so an interrupted download can be rerun.
  cancel ID                 Cancel a job (job_…) or every unfinished job of a batch (bat_…).
  models                    List the models, their parameters, sizes and shutdown dates.

Options:
  --json                    Print machine-readable JSON on stdout (errors as JSON on stderr).
  -h, --help                Show this help.

Environment:
  IMAGEN_QUEUE_URL          API address (default http://127.0.0.1:3000)
  IMAGEN_QUEUE_KEY          API key (Authorization: Bearer)

Exit codes: 0 ok, 1 failure (API error, a job failed or was canceled), 2 usage error.
`;

const OPTIONS = {
  webhook: { type: 'string' },
  wait: { type: 'boolean', default: false },
  out: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const ALLOWED: Record<string, readonly string[]> = {
  submit: ['webhook', 'wait', 'out', 'json'],
  status: ['json'],
  download: ['out', 'json'],
  cancel: ['json'],
  models: ['json'],
};

export function parseCommand(argv: string[]): Command {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === 'help') return { name: 'help' };
  const allowed = ALLOWED[name];
  if (!allowed) throw new UsageError(`unknown command '${name}'`);
  for (const option of ['webhook', 'wait', 'out'] as const) {
    if (values[option] !== undefined && values[option] !== false && !allowed.includes(option)) {
      throw new UsageError(`'${name}' does not take --${option}`);
    }
  }
  const json = values.json;
  if (name === 'models') {
    if (rest.length > 0) throw new UsageError('models takes no arguments');
    return { name, json };
  }
  const target = single(name, rest);

  switch (name) {
    case 'submit': {
      if (values.webhook !== undefined && !/^https?:\/\/\S+$/i.test(values.webhook)) {
        throw new UsageError(`--webhook must be an http(s) URL, got '${values.webhook}'`);
      }
      const out = nonEmpty(values.out, '--out');
      return { name, file: target, webhook: values.webhook, wait: values.wait || !!out, out, json };
    }
    case 'download': {
      const out = nonEmpty(values.out, '--out');
      if (!out) throw new UsageError('download needs --out DIR');
      return { name, batchId: expectId(target, ['bat']), out, json };
    }
    case 'status':
      return { name, id: expectId(target, ['job', 'bat']), json };
    default:
      return { name: 'cancel', id: expectId(target, ['job', 'bat']), json };
  }
}

function single(command: string, rest: string[]): string {
  const what = command === 'submit' ? 'FILE' : command === 'download' ? 'BATCH_ID' : 'ID';
  if (rest.length === 0) throw new UsageError(`${command} needs ${what}`);
  if (rest.length > 1) throw new UsageError(`${command} takes one ${what}, got ${rest.length}`);
  return rest[0] as string;
}

function nonEmpty(value: string | undefined, option: string): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${option} is empty`);
  return value;
}

function expectId(id: string, kinds: string[]): string {
  if (!kinds.some((kind) => id.startsWith(`${kind}_`))) {
    const expected = kinds.map((kind) => `${kind}_…`).join(' or ');
    throw new UsageError(`'${id}' is not an id of the expected kind (${expected})`);
  }
  return id;
}
