/** What the emulator has done since start (or the last reset), as `GET /__emulator/stats` shows. */
export interface EmulatorStats {
  /** Generation requests received, whatever their answer. */
  requests: number;
  /** Images returned. */
  images: number;
  /** Answered 429. */
  rate_limited: number;
  /** Answered with an injected or forced failure (5xx, or a forced status other than 429). */
  failed: number;
  /** Never answered (`hangRate`). */
  hung: number;
  /** Most generation requests in flight at once. */
  in_flight_max: number;
}

export interface StatsRecorder {
  snapshot(): EmulatorStats;
  count(key: 'requests' | 'images' | 'rate_limited' | 'failed' | 'hung', by?: number): void;
  /** Call when a request starts; call the returned function once it has been answered. */
  enter(): () => void;
  reset(): void;
}

export function createStatsRecorder(): StatsRecorder {
  const zero = (): EmulatorStats => ({
    requests: 0,
    images: 0,
    rate_limited: 0,
    failed: 0,
    hung: 0,
    in_flight_max: 0,
  });
  let stats = zero();
  let inFlight = 0;
  return {
    snapshot: () => ({ ...stats }),
    count(key, by = 1) {
      stats[key] += by;
    },
    enter() {
      inFlight++;
      stats.in_flight_max = Math.max(stats.in_flight_max, inFlight);
      let left = false;
      return () => {
        if (!left) inFlight--;
        left = true;
      };
    },
    reset() {
      stats = zero();
      stats.in_flight_max = inFlight;
    },
  };
}
