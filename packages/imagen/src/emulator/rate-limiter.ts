/**
 * Requests per rolling minute, the way a provider's quota behaves: over the limit, the answer
 * is 429 and says when the oldest request in the window leaves it.
 */
export interface RateLimiter {
  /** null when admitted, else milliseconds until a slot frees. */
  take(limitPerMinute: number, now?: number): number | null;
  reset(): void;
}

const WINDOW_MS = 60_000;

export function createRateLimiter(): RateLimiter {
  let admitted: number[] = [];
  let head = 0; // entries before head have left the window
  return {
    take(limit, now = Date.now()) {
      while (head < admitted.length && admitted[head]! <= now - WINDOW_MS) head++;
      if (head > 1024 && head * 2 > admitted.length) {
        admitted = admitted.slice(head);
        head = 0;
      }
      if (admitted.length - head >= limit) {
        const oldest = admitted[admitted.length - limit]!;
        return Math.max(1, oldest + WINDOW_MS - now);
      }
      admitted.push(now);
      return null;
    },
    reset() {
      admitted = [];
      head = 0;
    },
  };
}
