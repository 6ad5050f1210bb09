import { useState } from 'react';
import { api, ApiError, ok, type Import, type RevertConflict } from '../api/client';
import { ErrorNote } from '../components/feedback';
import { Link, navigate } from '../router';

// Revert (POST /v1/imports/{id}/revert) with a confirm step. The API refuses with 409
// revert_conflict when records the import changed were changed since by something else (the
// first page of them is shown, with "Revert anyway"), and with 409 mass_delete_refused when
// undoing it would delete more than the allowed share (with "Allow mass delete"). A revert is an
// import of its own: on success the page moves to it.

const CONFLICTS_PAGE = 20;
const CONFLICT_TEXT: Record<RevertConflict['conflict'], string> = {
  changed_since: 'changed since',
  deleted_since: 'deleted since',
  external_id_taken: 'its external_id is held by another record now',
};

type Refusal = { kind: 'conflict'; message: string; conflicts: RevertConflict[]; total: number } | { kind: 'mass_delete'; message: string };

export function RevertImport({ imp }: { imp: Import }) {
  const [confirming, setConfirming] = useState(false);
  const [force, setForce] = useState(false);
  const [allowMassDelete, setAllowMassDelete] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const revert = async (opts: { force: boolean; allow_mass_delete: boolean }) => {
    setBusy(true);
    setError(null);
    setForce(opts.force);
    setAllowMassDelete(opts.allow_mass_delete);
    try {
      const created = await ok(api.POST('/v1/imports/{id}/revert', { params: { path: { id: imp.id } }, body: opts }));
      navigate(`/imports/${created.id}`);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'revert_conflict') {
        try {
          const page = await ok(api.GET('/v1/imports/{id}/revert-conflicts', { params: { path: { id: imp.id }, query: { page: 1, limit: CONFLICTS_PAGE } } }));
          setRefusal({ kind: 'conflict', message: err.message, conflicts: page.data, total: page.pagination.total_count });
        } catch (listErr) {
          setRefusal({ kind: 'conflict', message: err.message, conflicts: [], total: 0 });
          setError(listErr instanceof Error ? listErr : new Error(String(listErr)));
        }
      } else if (err instanceof ApiError && err.code === 'mass_delete_refused') {
        setRefusal({ kind: 'mass_delete', message: err.message });
      } else {
        setRefusal(null);
        setError(err instanceof Error ? err : new Error(String(err)));
      }
    }
    setBusy(false);
  };

  if (!confirming) {
    return (
      <button type="button" className="secondary" onClick={() => setConfirming(true)} aria-haspopup="true">
        Revert import
      </button>
    );
  }

  const close = () => {
    setConfirming(false);
    setRefusal(null);
    setError(null);
  };

  return (
    <article className="revert-confirm" aria-labelledby="revert-title">
      <h3 id="revert-title" tabIndex={-1} ref={(el) => el?.focus()}>
        Revert this import?
      </h3>
      <p>
        Records it created are deleted, records it updated get their values from before it back, and records it deleted come back with the same ids. The revert runs as an
        import of its own, which can itself be reverted.
      </p>
      {refusal?.kind === 'conflict' && (
        <div className="warning-note" role="alert">
          <p>
            <strong>Refused: records were changed since.</strong>{' '}
            {refusal.total > 0
              ? `${refusal.total.toLocaleString()} record${refusal.total === 1 ? '' : 's'} this import changed ${refusal.total === 1 ? 'was' : 'were'} changed since by something else, so reverting would undo those changes too.`
              : refusal.message}
          </p>
          {refusal.conflicts.length > 0 && (
            <div className="table-scroll">
              <table>
                <caption>
                  {refusal.total > refusal.conflicts.length ? `The first ${refusal.conflicts.length} of ${refusal.total.toLocaleString()}` : `${refusal.total.toLocaleString()}`} conflicting
                  record{refusal.total === 1 ? '' : 's'}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Record</th>
                    <th scope="col">This import</th>
                    <th scope="col">Since</th>
                    <th scope="col">By</th>
                  </tr>
                </thead>
                <tbody>
                  {refusal.conflicts.map((c) => (
                    <tr key={`${c.resource}:${c.record_id}`}>
                      <td>
                        <code>{c.resource}</code> {c.record_id}
                      </td>
                      <td>{c.change} it</td>
                      <td>{CONFLICT_TEXT[c.conflict]}</td>
                      <td>{c.later_import_id ? <Link to={`/imports/${c.later_import_id}`}>{c.later_import_id}</Link> : c.other_record_id ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p>Reverting anyway gives those records their values from before this import too, undoing the later changes.</p>
        </div>
      )}
      {refusal?.kind === 'mass_delete' && (
        <div className="guard" role="alert">
          <p>
            <strong>Stopped by the mass-delete guard: nothing was reverted.</strong> {refusal.message}
          </p>
          <p>Allow it only if deleting that many records is what you mean.</p>
        </div>
      )}
      <ErrorNote error={error} />
      <div className="actions">
        {refusal?.kind === 'conflict' ? (
          <button type="button" className="contrast" disabled={busy} aria-busy={busy} onClick={() => void revert({ force: true, allow_mass_delete: allowMassDelete })}>
            Revert anyway (force)
          </button>
        ) : refusal?.kind === 'mass_delete' ? (
          <button type="button" className="contrast" disabled={busy} aria-busy={busy} onClick={() => void revert({ force, allow_mass_delete: true })}>
            Allow mass delete and revert
          </button>
        ) : (
          <button type="button" disabled={busy} aria-busy={busy} onClick={() => void revert({ force: false, allow_mass_delete: false })}>
            Yes, revert
          </button>
        )}
        <button type="button" className="secondary outline" disabled={busy} onClick={close}>
          Keep it
        </button>
      </div>
    </article>
  );
}
