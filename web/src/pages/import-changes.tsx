import { api, ok, type Change } from '../api/client';
import { useCursor } from '../components/cursor';
import { cellText, ErrorNote, Pager } from '../components/feedback';
import { usePage } from '../components/use-page';

// The changes of an import (GET /v1/imports/{id}/changes): one per record created, updated or
// deleted, with the record's values before and after side by side (changed fields marked). For
// a real import (a revert too) these are its change events; for a dry run, the changes a real
// run would make — the same shape, so one component shows both.

const PAGE = 10;
const SKIP = new Set(['object', 'created_at', 'updated_at']);

export function ImportChanges({ importId, version, dryRun }: { importId: string; version: string; dryRun: boolean }) {
  const pages = useCursor<string>();
  const { cursor } = pages;
  const { page, error } = usePage(
    () => ok(api.GET('/v1/imports/{id}/changes', { params: { path: { id: importId }, query: { limit: PAGE, ...cursor } } })),
    [importId, version, cursor.starting_after, cursor.ending_before],
  );

  const nav = pages.nav(page?.data, page?.pagination.has_more ?? false, (e) => e.id);
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">{dryRun ? 'Changes a real run would make' : 'Changes'}</h2>
      {dryRun && <p className="muted">A forecast: none of these was made. A record a real run would create gets its id then; the id shown here is provisional.</p>}
      <ErrorNote error={error} />
      {page && page.data.length === 0 && (
        <p className="muted">
          No record {dryRun ? 'would be changed by a real run' : 'was changed by this import'}
          {page.pagination.has_more ? ' on this page' : ''}.
        </p>
      )}
      {page?.data.map((e, i) => <ChangeCard key={e.id} change={e} open={i === 0} dryRun={dryRun} />)}
      {page && page.data.length > 0 && <Pager label="Changes" {...nav} />}
    </section>
  );
}

const WOULD: Record<Change['change'], string> = { created: 'would be created', updated: 'would be updated', deleted: 'would be deleted' };

function ChangeCard({ change: event, open, dryRun }: { change: Change; open: boolean; dryRun: boolean }) {
  const before = event.before ?? {};
  const after = event.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => !SKIP.has(f));
  return (
    <details className="event" open={open}>
      <summary>
        <code>{event.resource}</code> {event.record_id} <strong>{dryRun ? WOULD[event.change] : event.change}</strong>
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
