/** Where a command writes: results on stdout, progress and messages on stderr. */
export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(io: Io, lines: string[]): void {
  io.stdout.write(`${lines.join('\n')}\n`);
}
