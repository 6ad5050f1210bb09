import { useState } from 'react';
import { api, ApiError, ok, sameOriginUrl, type Import } from '../api/client';
import { ErrorNote } from '../components/feedback';
import { uploadFile } from '../components/upload';
import { Link, navigate } from '../router';

// A dry run's "Run it for real": the same import again without dry_run. The file itself is gone
// (the uploaded bytes are deleted once read), but the import keeps its rows exactly as uploaded
// as upload.json (unless save_upload: false). That file is uploaded to a new review import with
// the dry run's options and column mapping, so the next page shows the mapping and, for an
// overwrite, the mass-delete switch (the import does not say whether the dry run allowed mass
// deletes) before anything runs.

export function RunForReal({ imp }: { imp: Import }) {
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState('');
  const [error, setError] = useState<Error | null>(null);

  if (!imp.has_upload_file) {
    return (
      <p>
        This dry run kept no copy of its rows (<code>save_upload: false</code>), so it cannot be repeated from here: upload the same file again with{' '}
        <Link to={`/imports/new?resource=${imp.resource}&action=${imp.action}`}>New import</Link>, <em>Dry run</em> unticked.
      </p>
    );
  }

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setStep('Reading the dry run’s rows…');
      const withUrl = await ok(api.GET('/v1/imports/{id}', { params: { path: { id: imp.id }, query: { include_upload_json: true } } }));
      if (!withUrl._upload_json_url) throw new Error('The dry run’s rows are not available any more; upload the same file again with New import.');
      const answer = await fetch(sameOriginUrl(withUrl._upload_json_url));
      if (!answer.ok) throw new ApiError(`Could not read the dry run’s rows (${answer.status} ${answer.statusText}).`, answer.status, null);
      const file = new File([await answer.blob()], `${imp.id}-rows.json`, { type: 'application/json' });
      setStep('Creating the import…');
      const created = await ok(
        api.POST('/v1/imports', {
          body: {
            resource: imp.resource,
            action: imp.action,
            upload_mode: 'async',
            review: true,
            duplicate_handling: imp.duplicate_handling,
            ...(imp.name ? { name: imp.name } : {}),
            ...(imp.location_id ? { location_id: imp.location_id } : {}),
            ...(imp.column_mapping ? { column_mapping: imp.column_mapping } : {}),
          },
        }),
      );
      if (!created._upload_url) throw new Error('The API gave no upload URL for the new import.');
      setStep('Uploading the rows…');
      await uploadFile(created._upload_url, file, () => undefined);
      navigate(`/imports/${created.id}/review`);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
      setStep('');
      setBusy(false);
    }
  };

  return (
    <div>
      <p id="run-for-real-help" className="muted">
        Creates a new import of the same rows (as this dry run stored them), with the same mapping and options. You check it on the next page and press Start; nothing runs before
        that.
      </p>
      <button type="button" onClick={() => void run()} disabled={busy} aria-busy={busy} aria-describedby="run-for-real-help">
        Run it for real
      </button>{' '}
      <small aria-live="polite">{step}</small>
      <ErrorNote error={error} />
    </div>
  );
}
