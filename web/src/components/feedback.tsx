import type { ReactNode } from 'react';

/** An error answer, in words, announced to screen readers. */
export function ErrorNote({ error, children }: { error: Error | null | undefined; children?: ReactNode }) {
  if (!error) return null;
  return (
    <p className="error-note" role="alert">
      {children}
      {error.message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p aria-busy="true">Loading {what}…</p>;
}

/** Previous/next for cursor-paged lists. */
export function Pager({ hasPrevious, hasNext, onPrevious, onNext, label }: { hasPrevious: boolean; hasNext: boolean; onPrevious: () => void; onNext: () => void; label: string }) {
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav aria-label={`${label} pages`} className="pager">
      <button type="button" className="secondary outline" disabled={!hasPrevious} onClick={onPrevious}>
        ← Previous
      </button>
      <button type="button" className="secondary outline" disabled={!hasNext} onClick={onNext}>
        Next →
      </button>
    </nav>
  );
}

/** A record's value as text in a table cell. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  if (Array.isArray(v)) return v.map(cellText).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
