import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError } from '../errors.ts';

/** A file counts as already downloaded when it has the size the API recorded. */
export async function isComplete(path: string, bytes: number): Promise<boolean> {
  try {
    const info = await stat(path);
    return info.isFile() && info.size === bytes;
  } catch {
    return false;
  }
}

/**
 * Streams `url` to `path` through a `.part` file renamed at the end, so an interrupted run
 * never leaves a truncated image that a later run would take for a finished one.
 */
export async function downloadFile(
  url: string,
  path: string,
  expected: { sha256?: string } = {},
): Promise<void> {
  const response = await fetch(url).catch((error: unknown) => {
    throw new CliError(`cannot download ${path}: ${(error as Error).message}`);
  });
  if (!response.ok || !response.body) {
    throw new CliError(`cannot download ${path}: HTTP ${response.status}`);
  }
  const partial = `${path}.part`;
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body), hashing, createWriteStream(partial));
    const digest = hash.digest('hex');
    if (expected.sha256 && digest !== expected.sha256) {
      throw new CliError(`downloaded ${path} does not match its sha256 (${digest})`);
    }
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
