/** Exit codes: 0 ok, 1 failure (a job or batch failed, the API refused), 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A failure the user should read as a message, not a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  /** Extra lines shown under the message (e.g. one per invalid field). */
  readonly details: string[];
  constructor(message: string, options: { exitCode?: number; details?: string[] } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? EXIT.failure;
    this.details = options.details ?? [];
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.usage });
    this.name = 'UsageError';
  }
}

/** An RFC 9457 problem details body as the API sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** The API answered with an error status; carries the problem details. */
export class ApiError extends CliError {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem, hint?: string) {
    const headline = problem.detail || problem.title || `HTTP ${status}`;
    const details = (problem.errors ?? [])
      // A detail that is just the one field error said again is not worth a second line.
      .filter(({ path, message }) => headline !== `${path} ${message}`)
      .map(({ path, message }) => `${path || '(body)'}: ${message}`);
    super(`${headline} (HTTP ${status})`, { details: hint ? [...details, hint] : details });
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}
