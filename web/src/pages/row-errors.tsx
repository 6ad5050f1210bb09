import { useState } from 'react';
import { api, ok, type RowError, type RowErrorCode } from '../api/client';
import { useCursor } from '../components/cursor';
import { cellText, ErrorNote, Pager } from '../components/feedback';
import { usePage } from '../components/use-page';

// The import's row errors, paged by row (cursor), filtered by code and field, each with the
// line a person finds it at in the file and the row's original values.

const CODES: RowErrorCode[] = ['parse_error', 'invalid_value', 'missing_required_field', 'duplicate', 'missing_identity', 'ambiguous_identity', 'not_found', 'invalid_reference', 'ambiguous_reference', 'still_referenced'];
const PAGE = 20;

export function RowErrors({ importId, version, total }: { importId: string; version: string; total: number }) {
  const [code, setCode] = useState<RowErrorCode | ''>('');
  const [field, setField] = useState('');
  const [appliedField, setAppliedField] = useState('');
  const pages = useCursor<number>();
  const { cursor } = pages;
  const { page, error } = usePage(
    () =>
      ok(
        api.GET('/v1/imports/{id}/errors', {
          params: { path: { id: importId }, query: { limit: PAGE, ...(code ? { code } : {}), ...(appliedField ? { field: appliedField } : {}), ...cursor } },
        }),
      ),
    [importId, version, code, appliedField, cursor.starting_after, cursor.ending_before],
  );

  const nav = pages.nav(page?.data, page?.pagination.has_more ?? false, (e) => e.row);
  if (total === 0 && !code && !appliedField) {
    return (
      <section aria-labelledby="errors-title">
        <h2 id="errors-title">Row errors</h2>
        <p className="muted">No row errors.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="errors-title">
      <h2 id="errors-title">Row errors ({total.toLocaleString()})</h2>
      <form
        className="filters"
        aria-label="Filter row errors"
        onSubmit={(e) => {
          e.preventDefault();
          setAppliedField(field.trim());
          pages.reset();
        }}
      >
        <label>
          Code
          <select
            value={code}
            onChange={(e) => {
              setCode(e.target.value as RowErrorCode | '');
              pages.reset();
            }}
          >
            <option value="">Any code</option>
            {CODES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label>
          Field
          <input value={field} onChange={(e) => setField(e.target.value)} placeholder="e.g. email" />
        </label>
        <button type="submit" className="secondary">
          Filter
        </button>
      </form>
      <ErrorNote error={error} />
      {page && page.data.length === 0 ? (
        <p className="muted">No row errors match.</p>
      ) : (
        page && (
          <>
            <div className="table-scroll">
              <table className="striped errors-table">
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      Line
                    </th>
                    <th scope="col">Code</th>
                    <th scope="col">Field</th>
                    <th scope="col">Message</th>
                    <th scope="col">Original values</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((e) => (
                    <tr key={`${e.row}-${e.code}-${e.field ?? ''}`}>
                      <td className="num" title={`data row ${e.row}`} data-label="Line">
                        {e.line}
                      </td>
                      <td data-label="Code">
                        <code>{e.code}</code>
                        <br />
                        <small className="muted">{e.phase}</small>
                      </td>
                      <td data-label="Field">{e.field ?? ''}</td>
                      <td data-label="Message">{e.message}</td>
                      <td data-label="Original values">
                        <OriginalValues data={e.data} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager label="Row errors" {...nav} />
          </>
        )
      )}
    </section>
  );
}

function OriginalValues({ data }: { data: RowError['data'] }) {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return <code>{cellText(data)}</code>;
  return (
    <dl className="values">
      {Object.entries(data).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{cellText(v) || <span className="muted">empty</span>}</dd>
        </div>
      ))}
    </dl>
  );
}
