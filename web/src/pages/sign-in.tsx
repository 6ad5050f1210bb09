import { useState, type FormEvent } from 'react';
import { api, ok } from '../api/client';
import { signIn } from '../api/session';

// Sign in by pasting an API key. The form posts nowhere (method=post, handled here), so even
// without JavaScript the key could never land in a URL.
export function SignInPage() {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return setError('Paste an API key.');
    setBusy(true);
    setError(null);
    try {
      // Checked before it is kept: one cheap authenticated read.
      await ok(api.GET('/v1/imports', { params: { query: { limit: 1 } }, headers: { authorization: `Bearer ${k}` } }));
      signIn(k);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="container narrow">
      <article>
        <header>
          <h1 tabIndex={-1}>Sign in</h1>
          <p>Paste an API key of your organization. It is kept in this tab only (session storage) and forgotten when you sign out or close the tab.</p>
        </header>
        <form method="post" action="#" onSubmit={(e) => void submit(e)}>
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby="api-key-help"
            required
            autoFocus
          />
          <small id="api-key-help">
            <code>npm start</code> prints a demo organization's key on its first run; <code>npm run cli -- keys create --org "Acme"</code> makes another.
          </small>
          {error && (
            <p className="error-note" role="alert">
              {error}
            </p>
          )}
          <button type="submit" aria-busy={busy} disabled={busy}>
            Sign in
          </button>
        </form>
      </article>
    </main>
  );
}
