import { useEffect, useMemo, useState } from 'react';
import { api, ok, type Import, type ImportPreview } from '../api/client';
import { cellText, ErrorNote, Loading } from '../components/feedback';
import { StatusBadge } from '../components/status';
import { Link, navigate } from '../router';

// New import, step 2: the file as the API read it (GET /v1/imports/{id}/preview) — every
// header with a field picker, the first rows, the required fields and lookup keys nothing maps
// to — then duplicate handling, the overwrite guard, and Start (POST /v1/imports/{id}/start
// with the mapping as shown). Nothing has run before Start.

const IGNORE = '';
const MATCH_TEXT: Record<string, string> = {
  exact: 'matched by name',
  normalised: 'matched ignoring case and punctuation',
  synonym: 'matched as a known synonym',
  given: 'as given',
};

export function ReviewImportPage({ id }: { id: string }) {
  const [imp, setImp] = useState<Import | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [picks, setPicks] = useState<string[]>([]);
  const [duplicates, setDuplicates] = useState<Import['duplicate_handling']>('ignore_all');
  const [allowMassDelete, setAllowMassDelete] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    (async () => {
      const i = await ok(api.GET('/v1/imports/{id}', { params: { path: { id } } }));
      if (!live) return;
      setImp(i);
      setDuplicates(i.duplicate_handling);
      if (!i.awaiting_start) return;
      const p = await ok(api.GET('/v1/imports/{id}/preview', { params: { path: { id } } }));
      if (!live) return;
      setPreview(p);
      setPicks(p.columns.map((c) => c.field ?? IGNORE));
    })().catch((err: unknown) => live && setError(err instanceof Error ? err : new Error(String(err))));
    return () => {
      live = false;
    };
  }, [id]);

  const fieldsByName = useMemo(() => new Map((preview?.fields ?? []).map((f) => [f.name, f])), [preview]);
  const pickedFields = picks.filter((p) => p !== IGNORE);
  const twice = new Set(pickedFields.filter((f, i) => pickedFields.indexOf(f) !== i));
  const missingRequired = (preview?.fields ?? []).filter((f) => f.required_to_create && !pickedFields.includes(f.name)).map((f) => f.name);
  const lookupKeys = (preview?.fields ?? []).filter((f) => f.lookup_key).map((f) => f.name);
  const hasLookupKey = pickedFields.some((f) => f === 'id' || lookupKeys.includes(f));

  const start = async () => {
    if (!preview) return;
    setBusy(true);
    setError(null);
    try {
      // The whole mapping as shown: an explicit mapping maps exactly these columns.
      const column_mapping: Record<string, string> = {};
      preview.headers.forEach((h, i) => {
        const f = picks[i];
        if (f) column_mapping[f] = h;
      });
      await ok(
        api.POST('/v1/imports/{id}/start', {
          params: { path: { id } },
          body: { column_mapping, duplicate_handling: duplicates, ...(imp?.action === 'overwrite' ? { allow_mass_delete: allowMassDelete } : {}) },
        }),
      );
      navigate(`/imports/${id}`);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setBusy(false);
    }
  };

  const discard = async () => {
    setBusy(true);
    try {
      await ok(api.POST('/v1/imports/{id}/cancel', { params: { path: { id } } }));
      navigate('/imports');
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setBusy(false);
    }
  };

  if (!imp) return <main className="container">{error ? <ErrorNote error={error} /> : <Loading what="the import" />}</main>;
  if (!imp.awaiting_start) {
    return (
      <main className="container">
        <h1 tabIndex={-1}>Review {imp.name ?? imp.id}</h1>
        <p>
          {imp.status === 'requested' && imp.review
            ? 'Its file has not arrived yet: the upload did not finish. Start a new import with the file.'
            : 'This import is not waiting for a review any more.'}{' '}
          Status: <StatusBadge imp={imp} /> · <Link to={`/imports/${id}`}>Open the import</Link>
        </p>
      </main>
    );
  }
  return (
    <main className="container">
      <h1 tabIndex={-1}>Check the columns</h1>
      <p className="muted">
        Step 2 of 2 · {imp.action} of {imp.resource} records · {imp.name ?? imp.id}
      </p>
      {imp.dry_run && (
        <p className="dry-run-note" role="note">
          <strong>Dry run:</strong> this import will change nothing. It shows what a real run would do.
        </p>
      )}
      <ErrorNote error={error} />
      {!preview ? (
        error ? (
          <button type="button" className="secondary outline" onClick={() => void discard()} disabled={busy}>
            Discard this import
          </button>
        ) : (
          <Loading what="the file's preview" />
        )
      ) : (
        <>
          <p>
            Read as <strong>{preview.format.toUpperCase()}</strong>
            {preview.encoding ? `, ${preview.encoding}` : ''}
            {preview.delimiter ? `, separated by ${preview.delimiter === '\t' ? 'tabs' : `"${preview.delimiter}"`}` : ''}: {preview.headers.length} columns. The first{' '}
            {preview.rows.length} rows are shown below.
          </p>
          <section aria-labelledby="mapping-title">
            <h2 id="mapping-title">Columns → fields</h2>
            <div className="table-scroll">
              <table className="mapping-table">
                <thead>
                  <tr>
                    <th scope="col">Column in the file</th>
                    <th scope="col">Sample values</th>
                    <th scope="col">Imported as</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.headers.map((h, i) => {
                    const column = preview.columns[i];
                    const pickedField = picks[i] ?? IGNORE;
                    const auto = column?.field ?? IGNORE;
                    const note =
                      pickedField === IGNORE ? 'ignored: not imported' : pickedField !== auto ? 'chosen by you' : column?.match ? MATCH_TEXT[column.match] : '';
                    const id = `map-${i}`;
                    return (
                      <tr key={`${i}-${h}`} className={pickedField === IGNORE ? 'ignored' : twice.has(pickedField) ? 'conflict' : undefined}>
                        <th scope="row">
                          <label htmlFor={id}>{h === '' ? <em>(blank header)</em> : h}</label>
                        </th>
                        <td className="samples">
                          {preview.rows
                            .slice(0, 3)
                            .map((r) => cellText(r[i]))
                            .filter((v) => v !== '')
                            .join(' · ') || <span className="muted">empty</span>}
                        </td>
                        <td>
                          <select id={id} value={pickedField} onChange={(e) => setPicks(picks.map((p, j) => (j === i ? e.target.value : p)))} aria-describedby={`${id}-note`} aria-invalid={twice.has(pickedField) || undefined}>
                            <option value={IGNORE}>— ignore this column —</option>
                            {preview.fields.map((f) => (
                              <option key={f.name} value={f.name}>
                                {f.name}
                                {f.required_to_create ? ' (required to create)' : f.lookup_key ? ' (lookup key)' : ''}
                              </option>
                            ))}
                          </select>
                          <small id={`${id}-note`} className={pickedField === IGNORE ? 'muted' : undefined}>
                            {twice.has(pickedField) ? `"${pickedField}" is chosen for more than one column` : note}
                            {pickedField !== IGNORE && fieldsByName.get(pickedField)?.type ? ` · ${fieldsByName.get(pickedField)?.type}` : ''}
                          </small>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            {missingRequired.length > 0 && (
              <p className="warning-note" role="status">
                <strong>Required field{missingRequired.length > 1 ? 's' : ''} not mapped: {missingRequired.join(', ')}.</strong> Rows that create a new {imp.resource} will fail with{' '}
                <code>missing_required_field</code> unless a column is mapped to {missingRequired.length > 1 ? 'them' : 'it'}.
              </p>
            )}
            {!hasLookupKey && imp.action !== 'overwrite' && (
              <p className="muted">
                No column maps to id or a lookup key ({lookupKeys.join(', ')}): {imp.action === 'delete' ? 'rows cannot name the records to delete.' : 'every row creates a new record; none can update an existing one.'}
              </p>
            )}
          </section>
          <section aria-labelledby="rows-title">
            <h2 id="rows-title">First rows</h2>
            <div className="table-scroll preview-rows">
              <table className="striped">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    {preview.headers.map((h, i) => (
                      <th scope="col" key={i}>
                        {h}
                        <br />
                        <small className="muted">{picks[i] ? `→ ${picks[i]}` : 'ignored'}</small>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {preview.rows.map((r, n) => (
                    <tr key={n}>
                      <td className="muted">{n + 1}</td>
                      {preview.headers.map((_, i) => (
                        <td key={i} className={picks[i] ? undefined : 'ignored'}>
                          {cellText(r[i])}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section aria-labelledby="options-title">
            <h2 id="options-title">Options</h2>
            <label>
              Rows that name the same record more than once
              <select value={duplicates} onChange={(e) => setDuplicates(e.target.value as Import['duplicate_handling'])}>
                <option value="ignore_all">Reject all of them (ignore_all)</option>
                <option value="use_first">Use the first, reject the rest (use_first)</option>
              </select>
            </label>
            {imp.location_id && (
              <p>
                Location: <code>{imp.location_id}</code>
              </p>
            )}
            {imp.action === 'overwrite' && <OverwriteGuard preview={preview} resource={imp.resource} allow={allowMassDelete} setAllow={setAllowMassDelete} />}
          </section>
          <div className="actions">
            <button type="button" onClick={() => void start()} disabled={busy || twice.size > 0} aria-busy={busy}>
              {imp.dry_run ? 'Start dry run' : 'Start import'}
            </button>
            <button type="button" className="secondary outline" onClick={() => void discard()} disabled={busy}>
              Discard
            </button>
          </div>
        </>
      )}
    </main>
  );
}

function OverwriteGuard({ preview, resource, allow, setAllow }: { preview: ImportPreview; resource: string; allow: boolean; setAllow: (v: boolean) => void }) {
  const ratio = preview.mass_delete_max_ratio;
  const limit = Math.floor(preview.existing_records * ratio);
  return (
    <article className="guard" aria-labelledby="guard-title">
      <h3 id="guard-title">Overwrite deletes what the file does not name</h3>
      <p>
        This organization has <strong>{preview.existing_records.toLocaleString()}</strong> {resource} records. Every one that no row of this file names will be deleted.
      </p>
      <p>
        The mass-delete guard stops the import without deleting anything if that would be more than <strong>{Math.round(ratio * 100)}%</strong> of them (more than{' '}
        {limit.toLocaleString()} records) — unless you allow it here.
      </p>
      <label>
        <input type="checkbox" role="switch" checked={allow} onChange={(e) => setAllow(e.target.checked)} />
        Allow mass delete: delete more than {Math.round(ratio * 100)}% of the existing {resource} records if the file says so
      </label>
    </article>
  );
}
