import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Db, Queryable, QueryResult } from './db.js';
import { toQuery, type SqlStatement } from './sql.js';

// Postgres server adapter (node-postgres pool). Quirks:
//  - int8 arrives as a string: SQL casts to ::int/::float8 (see db.ts);
//  - a pooled client that errors while idle (server restart) is discarded by the pool, and the
//    next query opens a new connection, so a database that comes back is used without restart.

type Client = pg.Pool | pg.PoolClient;

function wrap(client: Client): Queryable {
  return {
    async query<T>(statement: string | SqlStatement, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const { text, values } = toQuery(statement, params);
      const res = await client.query(text, values);
      return { rows: res.rows as T[], rowCount: res.rowCount ?? res.rows.length };
    },
    async copyIn(table, columns, data) {
      if (data.length === 0) return;
      const run = async (c: pg.PoolClient) => {
        const stream = c.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
        await pipeline(Readable.from([data]), stream);
      };
      if (client instanceof pg.Pool) {
        const c = await client.connect();
        const onError = () => {};
        c.on('error', onError);
        try {
          await run(c);
        } finally {
          c.off('error', onError);
          c.release();
        }
      } else {
        await run(client);
      }
    },
    async exec(sql) {
      await client.query(sql);
    },
  };
}

export async function openPostgres(url: string, opts: { max?: number } = {}): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, idleTimeoutMillis: 30_000 });
  // Without a listener an idle client's error (e.g. the server restarting) crashes the process.
  pool.on('error', () => {});
  const base = wrap(pool);
  return {
    engine: 'postgres',
    query: base.query,
    copyIn: base.copyIn,
    async transaction(fn) {
      const client = await pool.connect();
      // A checked-out client whose server goes away between two queries emits 'error'; without
      // a listener that would crash the process. The failure surfaces on the next query instead.
      const onError = () => {};
      client.on('error', onError);
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(wrap(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    exec: base.exec,
    close: () => pool.end(),
  };
}
