import type { IncomingMessage } from 'node:http';
import type { EmulatorConfig } from './config.ts';
import type { CallReferences } from './route.ts';

/**
 * One generation request as the emulator billed it, for tests to compare with the queue's,
 * with the reference images it carried (when it got as far as a valid body).
 */
export interface BilledCall extends CallReferences {
  /** The `X-Client-Request-Id` it carried, or null. */
  request_id: string | null;
  model: string;
  status: number;
  images: number;
  credits: number;
  usd: number;
}

export interface Ledger {
  record(call: BilledCall): void;
  calls(): BilledCall[];
  reset(): void;
}

/** Kept calls; past it the oldest tenth goes, so a long-running emulator stays bounded. */
const MAX_CALLS = 200_000;

/** Every generation request since start (or the last reset), with what it was charged. */
export function createLedger(): Ledger {
  let calls: BilledCall[] = [];
  return {
    record(call) {
      if (calls.length >= MAX_CALLS) calls.splice(0, MAX_CALLS / 10);
      calls.push(call);
    },
    calls: () => [...calls],
    reset() {
      calls = [];
    },
  };
}

export function requestIdOf(req: IncomingMessage): string | null {
  const value = req.headers['x-client-request-id'];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * What a call costs: the model's price per image (by the name it was asked under), else the
 * default. Like the provider, only answered images are billed; a refusal or an error is free.
 */
export function priceCall(
  config: EmulatorConfig,
  model: string,
  images: number,
): { usd: number; credits: number } {
  const perImage = config.pricesUsd[model] ?? config.defaultPriceUsd;
  const usd = round(perImage * images, 6);
  return { usd, credits: round(usd * config.creditsPerUsd, 3) };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
