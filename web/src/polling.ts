import { useCallback, useEffect, useRef, useState } from 'react';

// Live data by polling with back-off, so a page left open never hammers the API:
//  - `nextDelay` says how long to wait after each answer (null = stop, e.g. a final import);
//  - a hidden tab waits at least HIDDEN_MS, and catches up at once when shown again;
//  - failures back off exponentially up to MAX_ERROR_MS.

const HIDDEN_MS = 15_000;
const MAX_ERROR_MS = 30_000;

export interface Polled<T> {
  data: T | undefined;
  error: Error | null;
  loading: boolean;
  /** Loads now (after an action such as cancel), then goes on polling. */
  refresh: () => void;
}

export function usePolling<T>(load: () => Promise<T>, deps: readonly unknown[], nextDelay: (data: T, previous: T | undefined, lastDelay: number | null) => number | null): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const tick = useRef<() => void>(() => {});
  const loadRef = useRef(load);
  loadRef.current = load;
  const delayRef = useRef(nextDelay);
  delayRef.current = nextDelay;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let previous: T | undefined;
    let lastDelay: number | null = null;
    let inFlight = false;
    setData(undefined);
    setLoading(true);
    setError(null);

    const run = async () => {
      if (stopped || inFlight) return;
      clearTimeout(timer);
      inFlight = true;
      const started = Date.now();
      let delay: number | null;
      try {
        const d = await loadRef.current();
        if (stopped) return;
        failures = 0;
        setData(d);
        setError(null);
        delay = delayRef.current(d, previous, lastDelay);
        previous = d;
      } catch (err) {
        if (stopped) return;
        failures++;
        setError(err instanceof Error ? err : new Error(String(err)));
        delay = Math.min(MAX_ERROR_MS, 1000 * 2 ** failures);
      } finally {
        inFlight = false;
        if (!stopped) setLoading(false);
      }
      lastDelay = delay;
      // Delays count from the request's start, so a slow answer does not stretch the interval.
      if (delay !== null && !stopped) timer = setTimeout(() => void run(), Math.max(0, (document.hidden ? Math.max(delay, HIDDEN_MS) : delay) - (Date.now() - started)));
    };
    tick.current = () => void run();
    const onVisible = () => {
      if (!document.hidden && lastDelay !== null) void run();
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, deps);

  const refresh = useCallback(() => tick.current(), []);
  return { data, error, loading, refresh };
}

/**
 * While something runs: every second, easing to every 1.5 s while nothing changes — so that with
 * the answer's own time a running import's page still updates at least every 2 s.
 */
export function runningDelay(changed: boolean, lastDelay: number | null): number {
  if (changed || lastDelay === null) return 1000;
  return Math.min(1500, Math.round(lastDelay * 1.25));
}
