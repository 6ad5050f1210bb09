import type { Db, Queryable } from '../db/db.js';
import { AppError } from '../errors.js';

// How every list of the API pages (imports, row errors, records, events).
//
// Cursor pagination as Stripe does it: `starting_after` / `ending_before` an item's key (`id`;
// a row error's `row`), `limit`, `has_more`. Each page is a keyset query — "the next `limit`
// rows after the cursor, in key order" — answered by an index in the time it takes to read those
// rows, however deep the page. `page` (OFFSET) stays for compatibility; it reads every row it
// skips, so deep pages by number get slower, deep pages by cursor do not.
//
// `total_count` is exact up to EXACT_COUNT_UP_TO (counting that many index entries costs well
// under a millisecond); above it, it is the planner's estimate (`total_count_exact: false`),
// unless the request asks `include_total=true`, which counts every matching row. The flag is
// only present when false, so exact answers keep the shape they always had.

export const EXACT_COUNT_UP_TO = 1000;

export interface PageRequest<C = string> {
  limit: number;
  page?: number | undefined;
  starting_after?: C | undefined;
  ending_before?: C | undefined;
  include_total?: boolean | undefined;
}

export interface Pagination {
  /** The page number in `page` mode (the default); null when paging by cursor. */
  page: number | null;
  limit: number;
  /** More items follow in the direction of paging (after the last item; before the first with `ending_before`). */
  has_more: boolean;
  total_count: number;
  /** Present, and false, only when total_count is an estimate (absent: exact). */
  total_count_exact?: false;
}

export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

export type PageMode<C> = { kind: 'page'; page: number } | { kind: 'after'; cursor: C } | { kind: 'before'; cursor: C };

export function pageMode<C>(p: PageRequest<C>): PageMode<C> {
  const given = (['page', 'starting_after', 'ending_before'] as const).filter((k) => p[k] !== undefined);
  if (given.length > 1) {
    throw new AppError(
      'invalid_request',
      `Page with one of page, starting_after and ending_before; this request gives ${given.join(' and ')}.`,
      given.map((field) => ({ field, in: 'querystring', message: 'cannot be combined with the others' })),
    );
  }
  if (p.starting_after !== undefined) return { kind: 'after', cursor: p.starting_after };
  if (p.ending_before !== undefined) return { kind: 'before', cursor: p.ending_before };
  return { kind: 'page', page: p.page ?? 1 };
}

/**
 * Runs a page's statements so that their plan does not depend on the planner's statistics.
 * Right after an import a table can hold a million rows its statistics have never seen, and
 * the planner, expecting a few dozen, reads every matching row through a bitmap scan and sorts
 * them all to return a hundred (the slow page the issue measured). The keyset walk of the
 * list's index is right whatever the statistics say; without bitmap scans the planner's other
 * choice is a sequential scan, which it costs by the table's real size. (Statistics are still
 * refreshed after large imports: filters and total_count estimates need them.)
 */
export async function readPlanned<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET LOCAL enable_bitmapscan = off');
    return fn(tx);
  });
}

/** Collects `$n` parameters as a statement is built: values never become part of the SQL text. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The keyset clause of a page over `key` — one column, or several compared as a row, for lists
 * ordered by more than one — in ascending order unless `descending`: the extra condition, the
 * ORDER BY, and the LIMIT/OFFSET that fetches one row more than asked, which tells whether more
 * follow. `cursor` turns the cursor's placeholder into the key's value (default: the value
 * itself). A query that wraps the page's rows (to build their JSON) orders by `orderBy` again.
 */
export function keyset<C>(
  mode: PageMode<C>,
  key: string | readonly string[],
  limit: number,
  params: Params,
  o: { descending?: boolean; cursor?: (placeholder: string) => string } = {},
): { where: string; orderBy: string; limit: string } {
  const cols = typeof key === 'string' ? [key] : key;
  const row = cols.length === 1 ? cols[0]! : `(${cols.join(', ')})`;
  const order = (dir: string) => cols.map((c) => `${c} ${dir}`).join(', ');
  const cursor = (c: C) => (o.cursor ?? ((x: string) => x))(params.add(c));
  const forward = o.descending ? 'DESC' : 'ASC';
  const backward = o.descending ? 'ASC' : 'DESC';
  switch (mode.kind) {
    case 'page':
      return { where: 'true', orderBy: order(forward), limit: `LIMIT ${params.add(limit + 1)} OFFSET ${params.add((mode.page - 1) * limit)}` };
    case 'after':
      return { where: `${row} ${o.descending ? '<' : '>'} ${cursor(mode.cursor)}`, orderBy: order(forward), limit: `LIMIT ${params.add(limit + 1)}` };
    case 'before':
      // Read backwards from the cursor; finishPage puts the rows back in list order.
      return { where: `${row} ${o.descending ? '>' : '<'} ${cursor(mode.cursor)}`, orderBy: order(backward), limit: `LIMIT ${params.add(limit + 1)}` };
  }
}

/** Rows fetched by a keyset query (limit + 1 of them at most) → the page. */
export function finishPage<T, C>(rows: T[], mode: PageMode<C>, limit: number, total: { total: number; exact: boolean }): Page<T> {
  const has_more = rows.length > limit;
  const data = rows.slice(0, limit);
  if (mode.kind === 'before') data.reverse();
  return {
    data,
    pagination: {
      page: mode.kind === 'page' ? mode.page : null,
      limit,
      has_more,
      total_count: total.total,
      ...(total.exact ? {} : { total_count_exact: false as const }),
    },
  };
}

/**
 * A column to add to a page's query: the matching rows counted up to EXACT_COUNT_UP_TO + 1, in
 * the same round trip as the page. `from` and `where` are the list's, without the cursor;
 * `orderBy` its order: it lets the count walk the list's index and stop after those rows
 * (unordered, the planner may pick a bitmap scan, which reads every matching index entry first:
 * 120 ms at a million rows).
 */
export function cappedCount(from: string, where: string, orderBy: string): string {
  return `(SELECT count(*)::int FROM (SELECT 1 FROM ${from} WHERE ${where} ORDER BY ${orderBy} LIMIT ${EXACT_COUNT_UP_TO + 1}) capped)`;
}

/**
 * total_count of `SELECT … FROM ${from} WHERE ${where}`: with `exact`, every row counted; else
 * exact up to EXACT_COUNT_UP_TO (`counted`: what cappedCount gave with the page, when it
 * returned rows), and the planner's estimate above, never below what was counted.
 */
export async function countRows(
  db: Queryable,
  from: string,
  where: string,
  params: readonly unknown[],
  o: { exact: boolean; orderBy: string; counted?: number | undefined },
): Promise<{ total: number; exact: boolean }> {
  if (o.exact) {
    const all = await db.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${from} WHERE ${where}`, params);
    return { total: Number(all.rows[0]?.n ?? 0), exact: true };
  }
  let counted = o.counted;
  if (counted === undefined) counted = (await db.query<{ n: number }>(`SELECT ${cappedCount(from, where, o.orderBy)} AS n`, params)).rows[0]?.n ?? 0;
  if (counted <= EXACT_COUNT_UP_TO) return { total: counted, exact: true };
  const plan = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from} WHERE ${where}`, params);
  const raw = plan.rows[0]?.['QUERY PLAN'];
  const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as [{ Plan: { 'Plan Rows': number } }] | undefined;
  const estimate = Math.round(doc?.[0]?.Plan['Plan Rows'] ?? 0);
  return { total: Math.max(counted, estimate), exact: false };
}
