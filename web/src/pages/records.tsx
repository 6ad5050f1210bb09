import { useEffect, useState, type FormEvent } from 'react';
import { api, ok, RESOURCES, type Pagination, type Resource, type ResourceName } from '../api/client';
import { useCursor } from '../components/cursor';
import { cellText, ErrorNote, Loading, Pager } from '../components/feedback';
import { time } from '../components/status';
import { usePage } from '../components/use-page';
import { Link } from '../router';

// The organization's records of one resource, newest last as the API pages them, with lookup
// by id or any lookup key (external_id, email, sku, …).

const PAGE = 25;
type Row = Record<string, unknown> & { id: string };
type Query = { limit: number; starting_after?: string; ending_before?: string } & Record<string, string | number | undefined>;
type RecordPage = { data: Row[]; pagination: Pagination };

/** One typed call per resource: each resource's records route has its own query and record type. */
function listRecords(resource: ResourceName, query: Query): Promise<RecordPage> {
  switch (resource) {
    case 'location':
      return ok(api.GET('/v1/resources/location/records', { params: { query } }));
    case 'group':
      return ok(api.GET('/v1/resources/group/records', { params: { query } }));
    case 'contact':
      return ok(api.GET('/v1/resources/contact/records', { params: { query } }));
    case 'item':
      return ok(api.GET('/v1/resources/item/records', { params: { query } }));
    case 'asset':
      return ok(api.GET('/v1/resources/asset/records', { params: { query } }));
  }
}

export function RecordsPage({ resource }: { resource: ResourceName }) {
  const [definition, setDefinition] = useState<Resource | null>(null);
  const [by, setBy] = useState('id');
  const [value, setValue] = useState('');
  const [lookup, setLookup] = useState<{ by: string; value: string } | null>(null);
  const pages = useCursor<string>();
  const { cursor } = pages;
  const [definitionError, setDefinitionError] = useState<Error | null>(null);

  useEffect(() => {
    setDefinition(null);
    setDefinitionError(null);
    setLookup(null);
    setValue('');
    setBy('id');
    pages.reset();
    ok(api.GET('/v1/resources/{name}', { params: { path: { name: resource } } })).then(setDefinition, (err: unknown) => setDefinitionError(err instanceof Error ? err : new Error(String(err))));
  }, [resource]);

  const { page, error: pageError } = usePage<RecordPage>(
    () => listRecords(resource, { limit: PAGE, ...cursor, ...(lookup ? { [lookup.by]: lookup.value } : {}) }),
    [resource, lookup, cursor.starting_after, cursor.ending_before],
    { clearOnChange: true },
  );
  const error = definitionError ?? pageError;

  const search = (e: FormEvent) => {
    e.preventDefault();
    pages.reset();
    setLookup(value.trim() ? { by, value: value.trim() } : null);
  };
  const keys = ['id', ...(definition?.lookup_keys ?? [])];
  const columns = ['id', ...(definition?.fields.map((f) => f.name).filter((f) => f !== 'id') ?? [])];
  const nav = pages.nav(page?.data, page?.pagination.has_more ?? false, (r) => r.id);

  return (
    <main className="container">
      <h1 tabIndex={-1}>Records</h1>
      <nav aria-label="Resources" className="tabs">
        <ul>
          {RESOURCES.map((r) => (
            <li key={r}>
              <Link to={`/records/${r}`} aria-current={r === resource ? 'page' : undefined}>
                {r}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {definition && <p className="muted">{definition.description}</p>}
      <form className="filters" aria-label={`Look up ${resource} records`} onSubmit={search}>
        <label>
          Look up by
          <select value={by} onChange={(e) => setBy(e.target.value)}>
            {keys.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          Value
          <input type="search" value={value} onChange={(e) => setValue(e.target.value)} placeholder={by === 'id' ? `${definition?.id_prefix ?? ''}…` : `exact ${by}`} />
        </label>
        <button type="submit">Find</button>
        {lookup && (
          <button
            type="button"
            className="secondary outline"
            onClick={() => {
              setValue('');
              setLookup(null);
              pages.reset();
            }}
          >
            Show all
          </button>
        )}
      </form>
      <ErrorNote error={error} />
      {!page ? (
        !error && <Loading what={`${resource} records`} />
      ) : page.data.length === 0 ? (
        <p>
          {lookup ? `No ${resource} record has ${lookup.by} "${lookup.value}".` : `No ${resource} records yet.`}{' '}
          {!lookup && (
<Link to={`/imports/new?resource=${resource}`}>Import some</Link>
          )}
        </p>
      ) : (
        <>
          <div className="table-scroll">
            <table className="striped records-table">
              <caption className="visually-hidden">{resource} records</caption>
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th scope="col" key={c}>
                      {c}
                    </th>
                  ))}
                  <th scope="col">updated</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((r) => (
                  <tr key={r.id}>
                    {columns.map((c) => (
                      <td key={c}>{c === 'id' ? <code>{r.id}</code> : cellText(r[c])}</td>
                    ))}
                    <td>
                      <small>{time(typeof r.updated_at === 'number' ? r.updated_at : null)}</small>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label={`${resource} records`} {...nav} />
        </>
      )}
    </main>
  );
}
