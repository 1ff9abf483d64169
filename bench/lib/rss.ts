import { readFile } from 'node:fs/promises';

/** A process's resident set in MB, read from outside (/proc/<pid>/status VmRSS); null if gone. */
export async function rssMb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const match = status ? /^VmRSS:\s+(\d+) kB/m.exec(status) : null;
  return match ? Number(match[1]) / 1024 : null;
}
