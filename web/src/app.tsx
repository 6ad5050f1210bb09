import { useEffect, useRef, useState } from 'react';
import { RESOURCES, type ResourceName } from './api/client';
import { apiKey, onSessionChange, signOut } from './api/session';
import { ImportPage } from './pages/import-page';
import { ImportsListPage } from './pages/imports-list';
import { NewImportPage } from './pages/new-import';
import { RecordsPage } from './pages/records';
import { ReviewImportPage } from './pages/review-import';
import { SignInPage } from './pages/sign-in';
import { Link, match, navigate, useLocation } from './router';

// The shell: sign-in gate, navigation, and the page for the URL. After each navigation the
// page's heading takes the focus, so keyboard and screen-reader users start at the new page.

export function App() {
  const [signedIn, setSignedIn] = useState(() => apiKey() !== null);
  useEffect(() => onSessionChange(() => setSignedIn(apiKey() !== null)), []);
  const { path } = useLocation();
  const mainRef = useRef<HTMLDivElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [path, signedIn]);

  useEffect(() => {
    if (signedIn && (path === '/' || path === '')) navigate('/imports', true);
  }, [signedIn, path]);

  if (!signedIn) return <SignInPage />;
  if (path === '/' || path === '') return null;
  const section = path.startsWith('/records') ? 'records' : path === '/imports/new' ? 'new' : 'imports';
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="container">
        <nav aria-label="Main">
          <ul>
            <li>
              <strong>Imports dashboard</strong>
            </li>
          </ul>
          <ul>
            <li>
              <Link to="/imports" aria-current={section === 'imports' ? 'page' : undefined}>
                Imports
              </Link>
            </li>
            <li>
              <Link to="/imports/new" aria-current={section === 'new' ? 'page' : undefined}>
                New import
              </Link>
            </li>
            <li>
              <Link to="/records/contact" aria-current={section === 'records' ? 'page' : undefined}>
                Records
              </Link>
            </li>
            <li>
              <a href="/docs">API</a>
            </li>
            <li>
              <button type="button" className="secondary outline sign-out" onClick={() => signOut()}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <div id="content" ref={mainRef}>
        <Page path={path} />
      </div>
    </>
  );
}

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if (path === '/imports') return <ImportsListPage />;
  if (path === '/imports/new') return <NewImportPage />;
  if ((m = match('/imports/:id/review', path))) return <ReviewImportPage key={m.id} id={m.id!} />;
  if ((m = match('/imports/:id', path))) return <ImportPage key={m.id} id={m.id!} />;
  if ((m = match('/records/:resource', path))) {
    const resource = RESOURCES.find((r) => r === m!.resource) as ResourceName | undefined;
    if (resource) return <RecordsPage resource={resource} />;
  }
  if (path === '/records') return <RecordsPage resource="contact" />;
  return (
    <main className="container">
      <h1 tabIndex={-1}>Not found</h1>
      <p>
        Nothing here. <Link to="/imports">Go to the imports</Link>.
      </p>
    </main>
  );
}
