import { useEffect, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { api, ok, RESOURCES, type Import, type Resource } from '../api/client';
import { ErrorNote } from '../components/feedback';
import { uploadFile } from '../components/upload';
import { navigate, useLocation } from '../router';

// New import, step 1: what to import and how, and the file. The import is created as a review
// import (review: true), the file is PUT to its signed URL with a progress bar, and the page
// moves on to the review (review-import.tsx), where the mapping is checked before anything runs.

const ACTIONS: { value: Import['action']; label: string; help: string }[] = [
  { value: 'merge', label: 'Merge', help: 'Create new records and update the ones the file names; nothing is deleted.' },
  { value: 'overwrite', label: 'Overwrite', help: 'The file is the complete set: records it does not name are deleted.' },
  { value: 'delete', label: 'Delete', help: 'Delete the records the file names.' },
];
const ACCEPT = '.csv,.tsv,.txt,.xlsx,.json,.ndjson,.jsonl,text/csv,application/json,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function NewImportPage() {
  const { query } = useLocation();
  const initialResource = RESOURCES.find((r) => r === query.get('resource')) ?? 'contact';
  const initialAction = ACTIONS.find((a) => a.value === query.get('action'))?.value ?? 'merge';
  const [resource, setResource] = useState<Import['resource']>(initialResource);
  const [action, setAction] = useState<Import['action']>(initialAction);
  const [name, setName] = useState('');
  const [dryRun, setDryRun] = useState(query.get('dry_run') === '1');
  const [locationId, setLocationId] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [definition, setDefinition] = useState<Resource | null>(null);
  const [locations, setLocations] = useState<{ id: string; name: string | null }[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    ok(api.GET('/v1/resources/{name}', { params: { path: { name: resource } } })).then(
      (d) => live && setDefinition(d),
      (err: unknown) => live && setError(err instanceof Error ? err : new Error(String(err))),
    );
    return () => {
      live = false;
    };
  }, [resource]);
  const hasLocation = Boolean(definition?.location_field);
  useEffect(() => {
    if (!hasLocation) return;
    ok(api.GET('/v1/resources/location/records', { params: { query: { limit: 100 } } })).then(
      (d) => setLocations(d.data.map((l) => ({ id: l.id, name: l.name }))),
      () => setLocations([]),
    );
  }, [hasLocation]);

  const pick = (files: FileList | null) => {
    const f = files?.[0];
    if (f) {
      setFile(f);
      setError(null);
    }
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    pick(e.dataTransfer.files);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) {
      setError(new Error('Choose or drop a file first.'));
      fileInput.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const imp = await ok(
        api.POST('/v1/imports', {
          body: {
            resource,
            action,
            upload_mode: 'async',
            review: true,
            ...(dryRun ? { dry_run: true } : {}),
            ...(name.trim() ? { name: name.trim() } : {}),
            ...(hasLocation && locationId.trim() ? { location_id: locationId.trim() } : {}),
          },
        }),
      );
      if (!imp._upload_url) throw new Error('The API gave no upload URL for this import.');
      setProgress({ sent: 0, total: file.size });
      await uploadFile(imp._upload_url, file, (sent, total) => setProgress({ sent, total }));
      navigate(`/imports/${imp.id}/review`);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setProgress(null);
    } finally {
      setBusy(false);
    }
  };

  const pct = progress ? Math.round((100 * progress.sent) / Math.max(progress.total, 1)) : 0;
  return (
    <main className="container">
      <h1 tabIndex={-1}>New import</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby="new-import-help">
        <p id="new-import-help" className="muted">
          Step 1 of 2: choose what to import and the file. Nothing runs until you have checked the columns on the next page and pressed Start.
        </p>
        <div className="grid">
          <label>
            Resource
            <select value={resource} onChange={(e) => setResource(e.target.value as Import['resource'])} disabled={busy}>
              {RESOURCES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label>
            Name (optional)
            <input value={name} onChange={(e) => setName(e.target.value)} minLength={3} maxLength={127} placeholder="e.g. March staff list" disabled={busy} />
          </label>
        </div>
        <fieldset>
          <legend>Action</legend>
          {ACTIONS.map((a) => (
            <label key={a.value}>
              <input type="radio" name="action" value={a.value} checked={action === a.value} onChange={() => setAction(a.value)} disabled={busy} aria-describedby={`action-${a.value}-help`} />
              {a.label}{' '}
              <span id={`action-${a.value}-help`} className="muted">
                — {a.help}
              </span>
            </label>
          ))}
        </fieldset>
        {hasLocation && (
          <label>
            Location (optional): the {definition?.location_field} of rows that give none{action === 'overwrite' ? ', and the scope of the overwrite' : ''}
            <input list="location-options" value={locationId} onChange={(e) => setLocationId(e.target.value)} placeholder="loc_… or leave empty" disabled={busy} />
            <datalist id="location-options">
              {locations.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name ?? l.id}
                </option>
              ))}
            </datalist>
          </label>
        )}
        <label
          className={`drop-zone${dragging ? ' dragging' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <span>
            <strong>Drop a CSV, XLSX, JSON or NDJSON file here</strong>, or choose one:
          </span>
          <input ref={fileInput} type="file" name="file" accept={ACCEPT} onChange={(e) => pick(e.target.files)} disabled={busy} aria-describedby="file-chosen" />
          <small id="file-chosen" aria-live="polite">
            {file ? `Chosen: ${file.name} (${formatBytes(file.size)})` : 'No file chosen yet.'}
          </small>
        </label>
        <label>
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} disabled={busy} aria-describedby="dry-run-help" />
          Dry run (change nothing, show what would happen)
        </label>
        <small id="dry-run-help" className="muted">
          Every phase runs and the import page shows the changes, row errors and results a real run would make; no record is changed. You can then run it for real from that page.
        </small>
        {progress && (
          <div className="upload-progress">
            <label htmlFor="upload-progress">
              Uploading {file?.name}: {pct}% ({formatBytes(progress.sent)} of {formatBytes(progress.total)})
            </label>
            <progress id="upload-progress" value={progress.sent} max={Math.max(progress.total, 1)} />
          </div>
        )}
        <ErrorNote error={error} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          {busy ? 'Uploading…' : 'Upload and review columns'}
        </button>
      </form>
    </main>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
