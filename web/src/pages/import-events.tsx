import { useEffect, useState } from 'react';
import { api, ok, type Event, type Pagination } from '../api/client';
import { useCursor } from '../components/cursor';
import { cellText, ErrorNote, Pager } from '../components/feedback';
import { time } from '../components/status';

// The change events an import wrote: one per record created, updated or deleted, with the
// record's values before and after side by side (changed fields marked).

const PAGE = 10;
const SKIP = new Set(['object', 'created_at', 'updated_at']);

export function ImportEvents({ importId, version }: { importId: string; version: string }) {
  const pages = useCursor<string>();
  const { cursor } = pages;
  const [page, setPage] = useState<{ data: Event[]; pagination: Pagination } | null>(null);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    let live = true;
    ok(api.GET('/v1/events', { params: { query: { import_id: importId, limit: PAGE, ...cursor } } })).then(
      (d) => {
        if (!live) return;
        setPage(d);
        setError(null);
      },
      (err: unknown) => live && setError(err instanceof Error ? err : new Error(String(err))),
    );
    return () => {
      live = false;
    };
  }, [importId, version, cursor.starting_after, cursor.ending_before]);

  const nav = pages.nav(page?.data, page?.pagination.has_more ?? false, (e) => e.id);
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Changes</h2>
      <ErrorNote error={error} />
      {page && page.data.length === 0 && <p className="muted">No record was changed by this import{page.pagination.has_more ? ' on this page' : ''}.</p>}
      {page?.data.map((e, i) => <EventCard key={e.id} event={e} open={i === 0} />)}
      {page && page.data.length > 0 && <Pager label="Changes" {...nav} />}
    </section>
  );
}

function EventCard({ event, open }: { event: Event; open: boolean }) {
  const before = event.before ?? {};
  const after = event.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => !SKIP.has(f));
  return (
    <details className="event" open={open}>
      <summary>
        <code>{event.type}</code> {event.record_id} <small className="muted">{time(event.created_at)}</small>
      </summary>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => {
              const b = cellText(before[f]);
              const a = cellText(after[f]);
              const changed = b !== a;
              return (
                <tr key={f} className={changed ? 'changed' : undefined}>
                  <th scope="row">{f}</th>
                  <td>{event.before ? b : <span className="muted">—</span>}</td>
                  <td>{event.after ? changed ? <mark>{a}</mark> : a : <span className="muted">—</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </details>
  );
}
