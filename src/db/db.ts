// The one seam to PostgreSQL. Everything the service stores goes through these few methods, and
// the same SQL runs on both adapters: embedded PGlite (default) and a Postgres server.
//
// Conventions every caller follows so results look the same on both engines:
//  - parameters are `$n`; JSON goes in as a string with an explicit `::jsonb` cast;
//  - 64-bit integers are cast to `::int` or `::float8` in SQL (the engines parse int8 differently);
//  - epoch seconds are read as `floor(extract(epoch from x))::float8`.

import type { SqlStatement } from './sql.js';

export type Row = Record<string, unknown>;

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  /** `(text, params)`, or a statement built with the `sql` tag (sql.ts), which carries its parameters. */
  query<T = Row>(sql: string | SqlStatement, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** COPY `data` (already in COPY text format, see copy-text.ts) into `table (columns)`. */
  copyIn(table: string, columns: readonly string[], data: string | Buffer): Promise<void>;
  /** Multi-statement SQL without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The database went away (restart, failover, network): SQLSTATE class 08 and the shutdown codes,
 * or node-postgres losing its socket. Only database errors count — a storage service's
 * ECONNRESET is an ordinary failure, retried with back-off.
 */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|terminating connection|Client has encountered a connection error/i.test(message);
}
