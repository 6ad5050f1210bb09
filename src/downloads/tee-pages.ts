// One read of an import's rows feeding two downloads written at the same time (the CSV and the
// JSON of the same rows): each page is fetched once and kept until both writers have taken it,
// and a writer `maxLead` pages ahead waits for the other, so memory holds a few pages whatever
// the size of the import. A failure of the source reaches both writers (neither may end with a
// file that looks complete but is cut short); `abort` (one writer's storage failed) ends both
// readers with that error, so the other is never left waiting.

export interface Tee<T> {
  /** Each gives every page, in order (pages, not rows: a writer formats a page without awaiting). */
  readers: [AsyncGenerator<T[]>, AsyncGenerator<T[]>];
  abort(error: unknown): void;
}

export function teePages<T>(source: AsyncIterable<T[]>, maxLead = 2): Tee<T> {
  const it = source[Symbol.asyncIterator]();
  const kept: T[][] = []; // kept[k] is page number `first + k`
  let first = 0;
  let pageCount = Infinity; // known once the source is exhausted
  let failure: { error: unknown } | null = null;
  const next = [0, 0]; // the page each reader takes next; Infinity once it has stopped
  let fetching: Promise<void> | null = null;
  let waiting: (() => void)[] = [];

  const wake = () => {
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve();
  };

  const fetchPage = () =>
    (fetching ??= (async () => {
      try {
        const r = await it.next();
        if (r.done) pageCount = first + kept.length;
        else kept.push(r.value);
      } catch (error) {
        failure ??= { error };
      } finally {
        fetching = null;
        wake();
      }
    })());

  const dropTaken = () => {
    while (kept.length > 0 && first < Math.min(next[0]!, next[1]!)) {
      kept.shift();
      first++;
    }
  };

  async function* reader(me: 0 | 1): AsyncGenerator<T[]> {
    try {
      for (;;) {
        if (failure) throw failure.error;
        const n = next[me]!;
        if (n >= pageCount) return;
        if (n - next[1 - me]! >= maxLead) {
          await new Promise<void>((resolve) => waiting.push(resolve));
        } else if (n < first + kept.length) {
          const page = kept[n - first]!;
          next[me] = n + 1;
          dropTaken();
          wake();
          // Read ahead: the next page is on its way while this one is formatted and written.
          if (first + kept.length === n + 1 && n + 1 < pageCount) void fetchPage();
          yield page;
        } else {
          await fetchPage();
        }
      }
    } finally {
      next[me] = Infinity;
      dropTaken();
      wake();
    }
  }

  return {
    readers: [reader(0), reader(1)],
    abort(error) {
      failure ??= { error };
      wake();
    },
  };
}
