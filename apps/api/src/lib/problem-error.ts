/** One problem the API answers with, rendered as RFC 9457 `application/problem+json`. */
export interface ProblemField {
  path: string;
  message: string;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  readonly type: string;
  readonly errors: ProblemField[] | undefined;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    title: string,
    detail: string,
    options: { errors?: ProblemField[]; type?: string; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = status;
    this.title = title;
    this.type = options.type ?? 'about:blank';
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export const notFound = (what: string) => new ProblemError(404, 'Not Found', `${what} not found`);
export const conflict = (detail: string) => new ProblemError(409, 'Conflict', detail);
export const badRequest = (detail: string, errors?: ProblemField[]) =>
  new ProblemError(400, 'Bad Request', detail, errors ? { errors } : {});
