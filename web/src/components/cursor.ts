import { useState } from 'react';

// Cursor paging as the API does it: forward with starting_after (the last item's cursor) while
// has_more; back with ending_before (the first item's). Going back, has_more tells whether
// there is a page before.

export type Cursor<K> = { starting_after?: K; ending_before?: K };

export function useCursor<K>() {
  const [cursor, setCursor] = useState<Cursor<K>>({});
  return {
    cursor,
    reset: () => setCursor({}),
    nav<T>(items: readonly T[] | undefined, hasMore: boolean, key: (item: T) => K) {
      const first = items?.[0];
      const last = items?.[items.length - 1];
      const backwards = cursor.ending_before !== undefined;
      const forwards = cursor.starting_after !== undefined;
      return {
        hasPrevious: first !== undefined && (backwards ? hasMore : forwards),
        hasNext: last !== undefined && (backwards ? true : hasMore),
        onPrevious: () => first !== undefined && setCursor({ ending_before: key(first) }),
        onNext: () => last !== undefined && setCursor({ starting_after: key(last) }),
      };
    },
  };
}
