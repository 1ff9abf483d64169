import type { EmulatorStats } from '@imagen-queue/imagen';

export type { EmulatorStats };

export async function emulatorStats(url: string): Promise<EmulatorStats> {
  const response = await fetch(`${url}/__emulator/stats`);
  if (!response.ok) throw new Error(`emulator stats answered ${response.status}`);
  return (await response.json()) as EmulatorStats;
}

/** Zeroes the stats and the rate-limit window. */
export async function resetEmulator(url: string): Promise<void> {
  const response = await fetch(`${url}/__emulator/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`emulator reset answered ${response.status}`);
}
