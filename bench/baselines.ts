import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

// The references the service is measured against, on the same database and file:
//  - raw COPY of the CSV into an equivalent table: the physical floor;
//  - what a careful engineer scripts by hand: COPY into a staging table, then one
//    INSERT … ON CONFLICT into a table already holding half the rows;
//  - the same merge writing what SPEC §7 requires of every change besides the record: one
//    event with the values before and after (the plain merge writes no events at all).

const COLUMNS = 'external_id text, name text, email text, phone text, locations text';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates database `name` on the server of `serverUrl`; returns its URL. */
export async function createScratchDatabase(serverUrl: string, name: string): Promise<string> {
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropScratchDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

export async function rawCopy(url: string, file: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw (${COLUMNS})`);
    const t = performance.now();
    await pipeline(fs.createReadStream(file), c.query(copyFrom(`COPY bench_raw FROM STDIN (FORMAT csv, HEADER true)`)));
    return performance.now() - t;
  } finally {
    await c.query('DROP TABLE IF EXISTS bench_raw');
    await c.end();
  }
}

/** Prepares `bench_target` holding the rows of `halfFile` (untimed). */
export async function prepareHalfFull(url: string, halfFile: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP TABLE IF EXISTS bench_target;
      CREATE TABLE bench_target (id bigserial PRIMARY KEY, external_id text NOT NULL, name text, email text, phone text, locations text,
        updated_at timestamptz NOT NULL DEFAULT now());
      CREATE UNIQUE INDEX ON bench_target (external_id); CREATE INDEX ON bench_target (email)`);
    await c.query(`CREATE TEMP TABLE s (${COLUMNS})`);
    await pipeline(fs.createReadStream(halfFile), c.query(copyFrom(`COPY s FROM STDIN (FORMAT csv, HEADER true)`)));
    await c.query(`INSERT INTO bench_target (external_id, name, email, phone, locations)
                   SELECT DISTINCT ON (external_id) external_id, name, email, phone, locations FROM s ORDER BY external_id
                   ON CONFLICT (external_id) DO NOTHING`);
  } finally {
    await c.end();
  }
}

export async function sqlMerge(url: string, file: string, withEvents = false): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const t = performance.now();
    await c.query('BEGIN');
    await c.query(`CREATE TEMP TABLE staging (${COLUMNS}) ON COMMIT DROP`);
    await pipeline(fs.createReadStream(file), c.query(copyFrom(`COPY staging FROM STDIN (FORMAT csv, HEADER true)`)));
    const merge = `INSERT INTO bench_target AS t (external_id, name, email, phone, locations)
                   SELECT DISTINCT ON (external_id) external_id, name, email, phone, locations FROM staging ORDER BY external_id
                   ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, phone = EXCLUDED.phone,
                     locations = EXCLUDED.locations, updated_at = now()
                   WHERE (t.name, t.email, t.phone, t.locations) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.email, EXCLUDED.phone, EXCLUDED.locations)`;
    if (!withEvents) {
      await c.query(merge);
    } else {
      // Every CTE sees the table as it was before the statement: `before` reads the old values.
      await c.query(`CREATE TABLE IF NOT EXISTS bench_events (id bigserial PRIMARY KEY, record_id bigint NOT NULL, type text NOT NULL,
                       before jsonb, after jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
      await c.query(`WITH before AS (
                       SELECT t.* FROM bench_target t WHERE t.external_id IN (SELECT external_id FROM staging)
                     ), written AS (
                       ${merge}
                       RETURNING t.*, (xmax = 0) AS inserted
                     )
                     INSERT INTO bench_events (record_id, type, before, after)
                     SELECT w.id, CASE WHEN w.inserted THEN 'created' ELSE 'updated' END,
                            CASE WHEN NOT w.inserted THEN to_jsonb(b) END,
                            jsonb_build_object('external_id', w.external_id, 'name', w.name, 'email', w.email, 'phone', w.phone, 'locations', w.locations)
                     FROM written w LEFT JOIN before b ON b.id = w.id`);
    }
    await c.query('COMMIT');
    return performance.now() - t;
  } finally {
    await c.query('DROP TABLE IF EXISTS bench_target, bench_events');
    await c.end();
  }
}
