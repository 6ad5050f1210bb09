import fs from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.js';
import { toQuery, type SqlStatement } from './sql.js';

// Embedded PGlite adapter. Quirks:
//  - one session only: PGlite queues queries itself, and `transaction()` holds the session
//    exclusively, so concurrent callers simply wait (no pool, no SKIP LOCKED contention);
//  - COPY reads from a virtual file: `COPY … FROM '/dev/blob'` with the data passed as a Blob;
//  - int8 comes back as a JS number or bigint depending on size: cast in SQL (see db.ts).

type Session = Pick<PGlite, 'query' | 'exec'> | Transaction;

function wrap(session: Session): Queryable {
  return {
    async query<T>(statement: string | SqlStatement, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const { text, values } = toQuery(statement, params);
      const res = await session.query<T>(text, values);
      // PGlite reports affectedRows 0 for a SELECT; count returned rows whenever there are columns.
      return { rows: res.rows, rowCount: res.fields.length > 0 ? res.rows.length : (res.affectedRows ?? 0) };
    },
    async copyIn(table, columns, data) {
      if (data.length === 0) return;
      await session.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'`, [], {
        blob: new Blob([data]),
      });
    },
    async exec(sql) {
      await session.exec(sql);
    },
  };
}

/** `dataDir` undefined = in memory; `loadDataDir` starts from a dump (tests use a migrated template). */
export interface PgliteDb extends Db {
  /** The whole database as a tarball, loadable with `loadDataDir` (a migrated test template). */
  dumpDataDir(): Promise<Blob>;
}

export async function openPglite(dataDir: string | undefined, opts: { loadDataDir?: Blob } = {}): Promise<PgliteDb> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create({ ...(dataDir ? { dataDir } : {}), ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}) });
  const base = wrap(pg);
  return {
    engine: 'pglite',
    query: base.query,
    copyIn: base.copyIn,
    transaction: async (fn) => {
      // A transaction holds the only session until it ends. Letting the event loop turn first
      // gives the callbacks already waiting (an API request between two of its queries) their
      // queries before this one takes the session: a worker running transactions back to back
      // would otherwise keep a request waiting through several of them.
      await new Promise((resolve) => setImmediate(resolve));
      return pg.transaction((tx) => fn(wrap(tx)));
    },
    exec: base.exec,
    close: () => pg.close(),
    dumpDataDir: async () => (await pg.dumpDataDir('none')) as Blob,
  };
}
