import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { z } from 'zod';

// The importer a careful engineer would write in an afternoon instead of using the service, kept
// as the benchmark's reference (issue 19): csv-parse → zod per row → COPY into a staging table →
// resolve location codes → one upsert; optionally one event per change with before/after JSON.
// Streaming with back-pressure all the way, so memory stays flat whatever the file's size.
//
// What it leaves out, next to the service: header mapping, rows matched by email, duplicates
// reported as errors (here the last row of an external_id wins), a name required only to create
// (here always), resumable phases, exact accounting, downloads, tenancy. Rejected rows are
// counted and written to a file, not stored.

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const text = (max: number) => z.string().trim().min(1).max(max);

/** The service's contact rules (src/resources/contact.ts), as a user would write them. */
const Contact = z.object({
  external_id: text(255),
  name: text(255),
  email: z.preprocess(blank, z.string().trim().toLowerCase().pipe(z.email()).optional()),
  phone: z.preprocess(blank, text(64).optional()),
  locations: z.preprocess(
    blank,
    z
      .string()
      .transform((s) => s.split(',').map((c) => c.trim()).filter((c) => c !== ''))
      .pipe(z.array(z.string()).max(1000))
      .optional(),
  ),
});

/** One value in COPY's text format. */
const cell = (v: string | undefined) => (v === undefined ? '\\N' : v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!));
const array = (codes: string[] | undefined) =>
  codes === undefined ? '\\N' : cell(`{${codes.map((c) => `"${c.replace(/["\\]/g, '\\$&')}"`).join(',')}}`);

export interface HandWrittenResult {
  ms: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  events: number;
  /** This process's peak resident memory, in MB. */
  peakRssMb: number;
}

/** Creates empty hw_locations (with `locations`), hw_contacts and hw_events, dropping old ones. */
export async function createHandWrittenTables(url: string, locations: { code: string; name: string }[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP TABLE IF EXISTS hw_events, hw_contacts, hw_locations;
      CREATE TABLE hw_locations (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE, name text NOT NULL);
      CREATE TABLE hw_contacts (id bigserial PRIMARY KEY, external_id text NOT NULL UNIQUE, name text NOT NULL, email text,
        phone text, location_ids bigint[], created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX ON hw_contacts (email);
      CREATE TABLE hw_events (id bigserial PRIMARY KEY, record_id bigint NOT NULL, type text NOT NULL, before jsonb, after jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now())`);
    await c.query(`INSERT INTO hw_locations (code, name) SELECT * FROM unnest($1::text[], $2::text[])`, [
      locations.map((l) => l.code),
      locations.map((l) => l.name),
    ]);
    await c.query('ANALYZE hw_locations');
  } finally {
    await c.end();
  }
}

export async function dropHandWrittenTables(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('DROP TABLE IF EXISTS hw_events, hw_contacts, hw_locations');
  } finally {
    await c.end();
  }
}

/** Imports the contacts CSV `file` into hw_contacts, in one transaction. */
export async function importContacts(url: string, file: string, o: { events?: boolean; rejectsFile?: string } = {}): Promise<HandWrittenResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const rejects = fs.createWriteStream(o.rejectsFile ?? '/dev/null');
  try {
    const t = performance.now();
    await c.query('BEGIN');
    await c.query(`CREATE TEMP TABLE staging (line int NOT NULL, external_id text NOT NULL, name text NOT NULL, email text, phone text,
                     location_codes text[]) ON COMMIT DROP`);
    let line = 1;
    let rejected = 0;
    await pipeline(
      fs.createReadStream(file),
      parse({ columns: true, bom: true, skip_empty_lines: true }),
      async function* (rows: AsyncIterable<Record<string, string>>) {
        let chunk = '';
        for await (const raw of rows) {
          line++;
          const r = Contact.safeParse(raw);
          if (!r.success) {
            rejected++;
            const why = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
            if (!rejects.write(`${line}\t${why}\n`)) await new Promise<void>((ok) => rejects.once('drain', () => ok()));
            continue;
          }
          const v = r.data;
          chunk += `${line}\t${cell(v.external_id)}\t${cell(v.name)}\t${cell(v.email)}\t${cell(v.phone)}\t${array(v.locations)}\n`;
          if (chunk.length >= 64 * 1024) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk) yield chunk;
      },
      c.query(copyFrom('COPY staging FROM STDIN')),
    );

    await c.query('ANALYZE staging'); // the planner knows nothing of a freshly filled table otherwise

    // A row naming a location code that does not exist is rejected (each distinct code is looked up once).
    const unknown = await c.query<{ code: string }>(
      `SELECT code FROM (SELECT DISTINCT unnest(location_codes) AS code FROM staging) s
       WHERE NOT EXISTS (SELECT 1 FROM hw_locations l WHERE l.code = s.code)`,
    );
    if (unknown.rows.length > 0) {
      const gone = await c.query<{ line: number }>(`DELETE FROM staging WHERE location_codes && $1 RETURNING line`, [unknown.rows.map((r) => r.code)]);
      rejected += gone.rows.length;
      for (const r of gone.rows) rejects.write(`${r.line}\tlocations: unknown location code\n`);
    }

    // Codes → ids; the last row of an external_id wins; empty cells leave stored values as they are.
    const upsert = `INSERT INTO hw_contacts AS t (external_id, name, email, phone, location_ids)
      SELECT DISTINCT ON (s.external_id) s.external_id, s.name, s.email, s.phone,
             CASE WHEN s.location_codes IS NOT NULL THEN coalesce(r.ids, '{}') END
      FROM staging s
      LEFT JOIN (SELECT s.line, array_agg(l.id ORDER BY u.n) AS ids
                 FROM staging s CROSS JOIN unnest(s.location_codes) WITH ORDINALITY u(code, n) JOIN hw_locations l ON l.code = u.code
                 GROUP BY s.line) r ON r.line = s.line
      ORDER BY s.external_id, s.line DESC
      ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, email = coalesce(EXCLUDED.email, t.email),
        phone = coalesce(EXCLUDED.phone, t.phone), location_ids = coalesce(EXCLUDED.location_ids, t.location_ids), updated_at = now()
      WHERE (t.name, t.email, t.phone, t.location_ids) IS DISTINCT FROM
            (EXCLUDED.name, coalesce(EXCLUDED.email, t.email), coalesce(EXCLUDED.phone, t.phone), coalesce(EXCLUDED.location_ids, t.location_ids))
      RETURNING t.*, (xmax = 0) AS inserted`;
    // Every CTE sees the table as it was before the statement: `before` holds the old values.
    const counted = o.events
      ? `WITH before AS (SELECT t.* FROM hw_contacts t WHERE t.external_id IN (SELECT external_id FROM staging)),
              written AS (${upsert}),
              logged AS (
                INSERT INTO hw_events (record_id, type, before, after)
                SELECT w.id, CASE WHEN w.inserted THEN 'created' ELSE 'updated' END, to_jsonb(b),
                       jsonb_build_object('id', w.id, 'external_id', w.external_id, 'name', w.name, 'email', w.email, 'phone', w.phone,
                                          'location_ids', w.location_ids, 'created_at', w.created_at, 'updated_at', w.updated_at)
                FROM written w LEFT JOIN before b ON b.id = w.id
                RETURNING 1)
         SELECT count(*) FILTER (WHERE inserted) AS created, count(*) FILTER (WHERE NOT inserted) AS updated,
                (SELECT count(*) FROM logged) AS events, (SELECT count(DISTINCT external_id) FROM staging) AS kept
         FROM written`
      : `WITH written AS (${upsert})
         SELECT count(*) FILTER (WHERE inserted) AS created, count(*) FILTER (WHERE NOT inserted) AS updated, 0 AS events,
                (SELECT count(DISTINCT external_id) FROM staging) AS kept
         FROM written`;
    const n = (await c.query(counted)).rows[0];
    await c.query('COMMIT');
    const ms = performance.now() - t;
    const created = Number(n.created);
    const updated = Number(n.updated);
    return {
      ms,
      created,
      updated,
      unchanged: Number(n.kept) - created - updated,
      rejected,
      events: Number(n.events),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    rejects.end();
    await c.end();
  }
}

// As a command of its own (the benchmark runs it so, to measure its memory alone):
//   tsx bench/hand-written-importer.ts --database-url postgres://… --file contacts.csv [--events]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { 'database-url': { type: 'string' }, file: { type: 'string' }, events: { type: 'boolean', default: false }, rejects: { type: 'string' } },
  });
  if (!values['database-url'] || !values.file) throw new Error('usage: hand-written-importer.ts --database-url URL --file FILE [--events] [--rejects FILE]');
  const result = await importContacts(values['database-url'], values.file, { events: values.events, rejectsFile: values.rejects });
  process.stdout.write(JSON.stringify(result) + '\n');
}
