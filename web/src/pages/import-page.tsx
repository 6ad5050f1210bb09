import { useState } from 'react';
import { api, isFinal, ok, sameOriginUrl, type Import } from '../api/client';
import { ErrorNote, Loading } from '../components/feedback';
import { DryRunBadge, PhaseProgress, StatusBadge, time } from '../components/status';
import { runningDelay, usePolling } from '../polling';
import { Link } from '../router';
import { ImportChanges } from './import-changes';
import { RevertImport } from './revert-import';
import { RowErrors } from './row-errors';
import { RunForReal } from './run-for-real';

// One import: status and reason, the seven phases as live bars, stats, downloads, cancel, revert,
// its row errors and its changes (for a dry run: the changes a real run would make). Polled every 1–2 s while it runs; polling stops at a final status.

function progressKey(i: Import): string {
  return `${i.status}:${i.updated_at}:${i.phases.map((p) => `${p.status}${p.processed}`).join(',')}`;
}

const STAT_LABELS: [keyof Import['stats'], string][] = [
  ['total', 'Rows'],
  ['created', 'Created'],
  ['updated', 'Updated'],
  ['unchanged', 'Unchanged'],
  ['deleted', 'Deleted'],
  ['overwritten', 'Deleted by overwrite'],
  ['duplicates', 'Duplicates'],
  ['errors', 'Errors'],
  ['events', 'Events'],
  ['unprocessed', 'Unprocessed'],
];

export function ImportPage({ id }: { id: string }) {
  const polled = usePolling(
    () => ok(api.GET('/v1/imports/{id}', { params: { path: { id } } })),
    [id],
    (d, prev, last) => (isFinal(d.status) ? null : d.status === 'requested' ? 5000 : runningDelay(!prev || progressKey(prev) !== progressKey(d), last)),
  );
  const imp = polled.data;
  const [cancelError, setCancelError] = useState<Error | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [downloadError, setDownloadError] = useState<Error | null>(null);

  if (!imp) return <main className="container">{polled.error ? <ErrorNote error={polled.error} /> : <Loading what="the import" />}</main>;

  const cancel = async () => {
    if (!window.confirm('Cancel this import? Phases already done stay done; the rest stops.')) return;
    setCancelling(true);
    setCancelError(null);
    try {
      await ok(api.POST('/v1/imports/{id}/cancel', { params: { path: { id } } }));
      polled.refresh();
    } catch (err) {
      setCancelError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setCancelling(false);
    }
  };
  const final = isFinal(imp.status);
  // Errors and events are re-read when the import moves on, not on every poll.
  const version = `${imp.status}:${imp.stats.errors}:${imp.stats.events}`;

  return (
    <main className="container">
      <div className="page-head">
        <div>
          <h1 tabIndex={-1}>{imp.name ?? 'Import'}</h1>
          <p className="muted">
            <code>{imp.id}</code> · {imp.action} of {imp.resource} records · {imp.upload_mode} · created {time(imp.created_at)}
            {imp.created_by ? ` by ${imp.created_by}` : ''}
          </p>
        </div>
        <div className="status-line" aria-live="polite">
          <StatusBadge imp={imp} />
          <DryRunBadge imp={imp} />
        </div>
      </div>
      {imp.dry_run && (
        <section className="dry-run-note" aria-labelledby="dry-run-title">
          <h2 id="dry-run-title">Dry run — nothing was changed</h2>
          <p>
            {final
              ? 'The phases, results, row errors and changes below are what a real run of this file would do now.'
              : 'When it ends, the phases, results, row errors and changes below show what a real run of this file would do.'}
          </p>
          {imp.status === 'completed' && <RunForReal imp={imp} />}
        </section>
      )}
      {(imp.reverts || imp.reverted_by) && (
        <p className="muted">
          {imp.reverts && (
            <>
              Reverts <Link to={`/imports/${imp.reverts}`}>{imp.reverts}</Link>.{' '}
            </>
          )}
          {imp.reverted_by && (
            <>
              Reverted by <Link to={`/imports/${imp.reverted_by}`}>{imp.reverted_by}</Link>.
            </>
          )}
        </p>
      )}
      <ErrorNote error={polled.error}>Could not refresh: </ErrorNote>
      <Reason imp={imp} />
      {imp.awaiting_start && (
        <p className="warning-note">
          The file is uploaded and waiting for you to check its columns. <Link to={`/imports/${imp.id}/review`}>Review and start</Link>
        </p>
      )}

      <section aria-labelledby="phases-title">
        <h2 id="phases-title">Phases</h2>
        <ol className="phases">
          {imp.phases.map((p, i) => (
            <li key={p.name} className={`phase phase-${p.status}`}>
              <div className="phase-head">
                <span>
                  {i + 1}. {p.name}
                </span>
                <small>
                  {p.status}
                  {p.total > 0 || p.processed > 0 ? ` · ${p.processed.toLocaleString()} / ${p.total.toLocaleString()}` : ''}
                  {p.success > 0 ? ` · ${p.success.toLocaleString()} ok` : ''}
                  {p.error > 0 ? ` · ${p.error.toLocaleString()} ${p.error === 1 ? 'error' : 'errors'}` : ''}
                </small>
              </div>
              <PhaseProgress phase={p} label={`Phase ${i + 1}, ${p.name}: ${p.status}`} />
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby="stats-title">
        <h2 id="stats-title">Results</h2>
        <dl className="stats">
          {STAT_LABELS.filter(([k]) => k !== 'unprocessed' || (imp.stats.unprocessed ?? 0) > 0).map(([k, label]) => (
            <div key={k} className={k === 'errors' && imp.stats.errors > 0 ? 'has-errors' : undefined}>
              <dt>{imp.dry_run && k === 'events' ? 'Events (forecast, none written)' : label}</dt>
              <dd>{(imp.stats[k] ?? 0).toLocaleString()}</dd>
            </div>
          ))}
        </dl>
      </section>

      <section aria-labelledby="files-title">
        <h2 id="files-title">Files</h2>
        <div className="downloads" role="group" aria-label="Downloads">
          <Download importId={imp.id} available={imp.has_upload_file} file="include_upload_csv" label="Uploaded file as CSV" onError={setDownloadError} />
          <Download importId={imp.id} available={imp.has_upload_file} file="include_upload_json" label="Uploaded file as JSON" onError={setDownloadError} />
          <Download importId={imp.id} available={imp.has_errors_file} file="include_errors_csv" label="Errors CSV" onError={setDownloadError} />
          <Download importId={imp.id} available={imp.has_errors_file} file="include_errors_json" label="Errors JSON" onError={setDownloadError} />
          <Download importId={imp.id} available={imp.has_results_file} file="include_results_csv" label="Results CSV" onError={setDownloadError} />
          <Download importId={imp.id} available={imp.has_results_file} file="include_results_json" label="Results JSON" onError={setDownloadError} />
          {!final && (
            <button type="button" className="contrast outline" onClick={() => void cancel()} disabled={cancelling} aria-busy={cancelling}>
              Cancel import
            </button>
          )}
        </div>
        {!final && !imp.has_errors_file && !imp.has_upload_file && (
          <p>
            <small className="muted">Files appear here once the import has read its rows.</small>
          </p>
        )}
        {imp.has_results_file && (
          <p>
            <small className="muted">
              Results: one line per row{imp.reverts ? ' (here: per record reverted)' : ' of the file'} — its outcome (created, updated, unchanged, deleted, duplicate, error) and record
              id{imp.dry_run ? ', as a real run would have them' : ''}.
            </small>
          </p>
        )}
        <ErrorNote error={cancelError ?? downloadError} />
        {/* The API refuses to revert an import that changed no record (invalid_state): no button then. */}
        {imp.status === 'completed' && !imp.dry_run && !imp.reverted_by && imp.stats.events > 0 && (
          <div className="revert-panel">
            <RevertImport imp={imp} />
          </div>
        )}
      </section>

      <RowErrors importId={imp.id} version={version} total={imp.stats.errors} />
      <ImportChanges importId={imp.id} version={version} dryRun={imp.dry_run} />
    </main>
  );
}

type DownloadFlag = 'include_upload_csv' | 'include_upload_json' | 'include_errors_csv' | 'include_errors_json' | 'include_results_csv' | 'include_results_json';
const URL_OF = {
  include_upload_csv: '_upload_csv_url',
  include_upload_json: '_upload_json_url',
  include_errors_csv: '_errors_csv_url',
  include_errors_json: '_errors_json_url',
  include_results_csv: '_results_csv_url',
  include_results_json: '_results_json_url',
} as const satisfies Record<DownloadFlag, keyof Import>;

/**
 * Download URLs are signed and expire, so each click asks the API for a fresh one (include_…)
 * rather than keeping one from the last poll; the polls stay cheap (no signing, no presigning).
 */
function Download({ importId, available, file, label, onError }: { importId: string; available: boolean; file: DownloadFlag; label: string; onError: (e: Error | null) => void }) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    setBusy(true);
    onError(null);
    try {
      const imp = await ok(api.GET('/v1/imports/{id}', { params: { path: { id: importId }, query: { [file]: true } } }));
      const url = imp[URL_OF[file]];
      if (!url) throw new Error(`${label} is not available for this import.`);
      const a = document.createElement('a');
      a.href = sameOriginUrl(url);
      a.download = '';
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      className={available ? 'secondary' : 'secondary outline'}
      disabled={!available || busy}
      aria-busy={busy}
      title={available ? undefined : 'Not available for this import (yet)'}
      onClick={() => void click()}
    >
      {label}
    </button>
  );
}

/** The reason of a failed or warned import; the mass-delete guard with what to do next. */
function Reason({ imp }: { imp: Import }) {
  if (!imp.reason) return null;
  const guard = imp.reason.startsWith('mass_delete_refused');
  if (guard) {
    return (
      <article className="guard" role="status" aria-labelledby="guard-stopped">
        <h2 id="guard-stopped">Stopped by the mass-delete guard: nothing was deleted</h2>
        <p>{imp.reason.replace(/^mass_delete_refused:\s*/, '')}</p>
        <p>
          Every other change of this import was made; only the deletions were refused. If the file really is the complete set of {imp.resource} records, run it again with{' '}
          <em>Allow mass delete</em> ticked: <Link to={`/imports/new?resource=${imp.resource}&action=overwrite`}>New overwrite of {imp.resource} records</Link>. If not, check
          that the file is complete (a missing sheet or a filtered export?).
        </p>
      </article>
    );
  }
  return (
    <p className={imp.status === 'failed' || imp.status === 'timed_out' ? 'error-note' : 'warning-note'} role="status">
      <strong>Reason:</strong> {imp.reason}
    </p>
  );
}
