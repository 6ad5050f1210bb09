import { useEffect, useState, type DependencyList } from 'react';

const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/**
 * One page of a list, loaded again whenever `deps` change. An answer that arrives after the
 * inputs changed again (a slower, earlier request) is dropped, so the page never shows a list
 * for filters the person has already left. `clearOnChange` empties the page while the next one
 * loads (a different list, not a refresh of the same one).
 */
export function usePage<T>(load: () => Promise<T>, deps: DependencyList, { clearOnChange = false } = {}): { page: T | null; error: Error | null } {
  const [page, setPage] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    let live = true;
    if (clearOnChange) setPage(null);
    load().then(
      (d) => {
        if (!live) return;
        setPage(d);
        setError(null);
      },
      (err: unknown) => {
        if (live) setError(asError(err));
      },
    );
    return () => {
      live = false;
    };
    // The caller names what `load` reads, as with useEffect.
  }, deps);
  return { page, error };
}
