import { useState } from 'react';
import { api, isFinal, ok, RESOURCES, type Import, type ImportStatus } from '../api/client';
import { useCursor } from '../components/cursor';
import { ErrorNote, Loading, Pager } from '../components/feedback';
import { DryRunBadge, ImportProgress, StatusBadge, time } from '../components/status';
import { runningDelay, usePolling } from '../polling';
import { Link } from '../router';

const STATUSES: ImportStatus[] = ['requested', 'queued', 'processing', 'completed', 'failed', 'timed_out', 'expired'];
const PAGE = 20;
/** Nothing running on the page: a slow look for new imports. */
const IDLE_MS = 10_000;

function signature(list: readonly Import[]): string {
  return list.map((i) => `${i.id}:${i.status}:${i.updated_at}:${i.phases.map((p) => p.processed).join(',')}`).join('|');
}

export function ImportsListPage() {
  const [status, setStatus] = useState<ImportStatus | ''>('');
  const [resource, setResource] = useState<Import['resource'] | ''>('');
  const pages = useCursor<string>();
  const { cursor } = pages;

  const list = usePolling(
    () =>
      ok(
        api.GET('/v1/imports', {
          params: { query: { limit: PAGE, ...(status ? { status } : {}), ...(resource ? { resource } : {}), ...cursor } },
        }),
      ),
    [status, resource, cursor.starting_after, cursor.ending_before],
    (d, prev, last) => (d.data.some((i) => !isFinal(i.status)) ? runningDelay(!prev || signature(prev.data) !== signature(d.data), last) : IDLE_MS),
  );
  const items = list.data?.data;
  const nav = pages.nav(items, list.data?.pagination.has_more ?? false, (i) => i.id);

  return (
    <main className="container">
      <div className="page-head">
        <h1 tabIndex={-1}>Imports</h1>
        <Link to="/imports/new" role="button">
          New import
        </Link>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter imports">
        <label>
          Status
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as ImportStatus | '');
              pages.reset();
            }}
          >
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Resource
          <select
            value={resource}
            onChange={(e) => {
              setResource(e.target.value as Import['resource'] | '');
              pages.reset();
            }}
          >
            <option value="">Any resource</option>
            {RESOURCES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={list.error} />
      {list.loading && !items ? (
        <Loading what="imports" />
      ) : items && items.length === 0 ? (
        <p>
          No imports{status || resource ? ' match these filters' : ' yet'}. <Link to="/imports/new">Start one</Link>.
        </p>
      ) : (
        items && (
          <>
            <div className="table-scroll">
              <table className="striped imports-table">
                <caption className="visually-hidden">Imports, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Import</th>
                    <th scope="col">Resource</th>
                    <th scope="col">Action</th>
                    <th scope="col">Status</th>
                    <th scope="col">Progress</th>
                    <th scope="col" className="num">
                      Rows
                    </th>
                    <th scope="col" className="num">
                      Created
                    </th>
                    <th scope="col" className="num">
                      Updated
                    </th>
                    <th scope="col" className="num">
                      Deleted
                    </th>
                    <th scope="col" className="num">
                      Errors
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((i) => (
                    <tr key={i.id}>
                      <td>
                        <Link to={`/imports/${i.id}`}>{i.name ?? i.id}</Link>
                        <br />
                        <small className="muted">{time(i.created_at)}</small>
                      </td>
                      <td>{i.resource}</td>
                      <td>{i.action}</td>
                      <td>
                        <StatusBadge imp={i} />
                        <DryRunBadge imp={i} />
                        {i.reverts && <small className="muted"> revert</small>}
                      </td>
                      <td>
                        <ImportProgress imp={i} />
                      </td>
                      <td className="num">{i.stats.total.toLocaleString()}</td>
                      <td className="num">{i.stats.created.toLocaleString()}</td>
                      <td className="num">{i.stats.updated.toLocaleString()}</td>
                      <td className="num">{(i.stats.deleted + i.stats.overwritten).toLocaleString()}</td>
                      <td className="num">{i.stats.errors.toLocaleString()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager label="Imports" {...nav} />
          </>
        )
      )}
    </main>
  );
}
