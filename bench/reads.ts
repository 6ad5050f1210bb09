import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import type { Db } from '../src/db/db.js';
import { migrate } from '../src/db/migrate.js';
import { buildApp } from '../src/http/app.js';
import { analyzeWhatImportWrote } from '../src/lifecycle/analyze-written.js';
import { EMPTY_STATS } from '../src/domain/import.js';
import { storageFromConfig } from '../src/storage/from-config.js';
import { createOrganizationWithKey } from '../src/tenancy/api-keys.js';

// The read benchmark: GET latencies over an organization holding `rows` contacts and as many
// change events, on PostgreSQL and on PGlite, through the real HTTP API (listening, requests over
// keep-alive HTTP). The data is written with SQL directly (what a million-row import leaves: one
// contact and one record.created event per row, ids from gen_id like processing's), then 1% of the
// contacts are updated by a second "import". Latencies are measured twice: with the statistics
// the planner had before (none: the tables were empty when last analyzed), and after the
// ANALYZE an import that wrote that many rows runs when it ends (analyzeWhatImportWrote).
//
//   npm run bench -- --read-rows 1000000 --skip-imports          (this alone, both engines)
//   tsx bench/reads.ts --rows 1000000 --engines postgres --out bench/RESULTS.md

export interface ReadScenario {
  name: string;
  p50: number;
  p99: number;
  samples: number;
}

export interface ReadResult {
  engine: 'postgres' | 'pglite';
  rows: number;
  seedMs: number;
  analyzeMs: number;
  stale: ReadScenario[];
  fresh: ReadScenario[];
  /** Every record read back by cursor, per page size. */
  readAll: { limit: number; ms: number; pages: number }[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

async function openEngine(engine: 'postgres' | 'pglite', serverUrl: string, work: string): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (engine === 'pglite') {
    const { openPglite } = await import('../src/db/pglite.js');
    const db = await openPglite(path.join(work, 'pg'));
    return { db, drop: async () => {} };
  }
  const name = `imports_readbench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const { openPostgres } = await import('../src/db/pg.js');
  const db = await openPostgres(url.toString());
  return {
    db,
    drop: async () => {
      const a = new pg.Client({ connectionString: serverUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** What a `rows`-row contact import leaves behind, written with SQL in batches. */
async function seed(db: Db, organizationId: string, importId: string, rows: number): Promise<void> {
  await db.query(
    `INSERT INTO imports (id, organization_id, resource, upload_mode, action, status, duplicate_handling, stats)
     VALUES ($1, $2, 'contact', 'async', 'merge', 'completed', 'ignore_all', $3::jsonb)`,
    [importId, organizationId, JSON.stringify({ ...EMPTY_STATS, total: rows, created: rows, events: rows })],
  );
  const batch = 100_000;
  for (let from = 1; from <= rows; from += batch) {
    const to = Math.min(rows, from + batch - 1);
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO contacts (organization_id, id, external_id, name, email, phone, locations)
         SELECT $1, gen_id('con_'), 'E' || g, 'Contact ' || g, 'c' || g || '@example.com', '+1 555 ' || lpad(g::text, 7, '0'), NULL
         FROM generate_series($2::int, $3::int) g`,
        [organizationId, from, to],
      );
      await tx.query(
        `INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
         SELECT gen_id('evt_'), c.organization_id, $2, 'contact', c.id, 'record.created', NULL, to_jsonb(c) - 'organization_id'
         FROM contacts c WHERE c.organization_id = $1 AND c.external_id = ANY (SELECT 'E' || g FROM generate_series($3::int, $4::int) g)`,
        [organizationId, importId, from, to],
      );
    });
    process.stderr.write(`\r  seeded ${to.toLocaleString('en-US')} / ${rows.toLocaleString('en-US')}`);
  }
  process.stderr.write('\n');
}

async function timed(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  for (let i = 0; i < Math.min(10, n); i++) await fn(i); // warm up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

export async function readBench(engine: 'postgres' | 'pglite', rows: number, serverUrl: string, samples = 200): Promise<ReadResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-readbench-'));
  const { db, drop } = await openEngine(engine, serverUrl, work);
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    await migrate(db);
    const { organization_id: org, api_key: key } = await createOrganizationWithKey(db, 'Read bench');
    const importId = 'imp_readbench';
    console.error(`\n# reads on ${engine}, ${rows.toLocaleString('en-US')} contacts and events`);
    const t0 = performance.now();
    await seed(db, org, importId, rows);
    // A second import updates 1% of the contacts: what `updated_since` of a syncing client finds.
    const since = (await db.query<{ t: number }>('SELECT floor(extract(epoch FROM clock_timestamp()))::float8 + 1 AS t')).rows[0]!.t;
    await new Promise((r) => setTimeout(r, Math.max(0, since * 1000 - Date.now() + 50)));
    await db.query(
      `UPDATE contacts SET name = name || ' (moved)', updated_at = clock_timestamp()
       WHERE organization_id = $1 AND external_id = ANY (SELECT 'E' || g FROM generate_series(1, $2::int, 100) g)`,
      [org, rows],
    );
    const seedMs = performance.now() - t0;

    const config = loadConfig({ DATA_DIR: work, DEMO_ORG: 'false', RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'silent' });
    app = await buildApp({ db, config, storage: storageFromConfig(config) });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const get = async (p: string) => {
      const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${key}` } });
      const body = (await res.json()) as { data: { id: string }[]; pagination: { has_more: boolean } };
      if (res.status !== 200) throw new Error(`GET ${p} → ${res.status}: ${JSON.stringify(body)}`);
      return body;
    };
    const deepIds = (
      await db.query<{ id: string }>(
        `SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM contacts WHERE organization_id = $1) s
         WHERE n % $2 = 0 AND n > $3 ORDER BY id`,
        [org, Math.max(1, Math.floor(rows / 2 / samples)), Math.floor(rows / 2)],
      )
    ).rows.map((r) => r.id);
    const rnd = (i: number) => 1 + ((i * 7919 + 13) % rows);

    const scenarios = async (stale: boolean): Promise<ReadScenario[]> => {
      const list: [string, (i: number) => Promise<unknown>][] = [
        ['first page (limit 100)', () => get('/v1/resources/contact/records?limit=100')],
        ['deep cursor page (limit 100, past the middle)', (i) => get(`/v1/resources/contact/records?limit=100&starting_after=${deepIds[i % deepIds.length]}`)],
        ['lookup by external_id', (i) => get(`/v1/resources/contact/records?external_id=E${rnd(i)}`)],
        ['updated_since page: the 1% changed since (limit 100)', () => get(`/v1/resources/contact/records?limit=100&updated_since=${since}`)],
        ['updated_since page: all match (limit 100)', () => get('/v1/resources/contact/records?limit=100&updated_since=0')],
        ["page 1 of an import's events (limit 100)", () => get(`/v1/events?import_id=${importId}&limit=100`)],
        ['events of one record (record_id)', (i) => get(`/v1/events?record_id=${deepIds[i % deepIds.length]}`)],
        ['page 100 by number (OFFSET 9,900; compatibility)', () => get('/v1/resources/contact/records?limit=100&page=100')],
      ];
      const out: ReadScenario[] = [];
      for (const [name, fn] of list) {
        // OFFSET paging planned without statistics sorts the whole table (seconds a request at a
        // million rows): measured only as the compatibility path it is, after the ANALYZE.
        if (stale && name.startsWith('page 100 by number')) {
          out.push({ name, p50: NaN, p99: NaN, samples: 0 });
          continue;
        }
        const ms = await timed(samples, async (i) => void (await fn(i)));
        out.push({ name, p50: pct(ms, 50), p99: pct(ms, 99), samples: ms.length });
        console.error(`  ${name.padEnd(52)} p50 ${pct(ms, 50)} ms  p99 ${pct(ms, 99)} ms`);
      }
      return out;
    };

    console.error('  statistics as left before the import (none):');
    const stale = await scenarios(true);
    const ta = performance.now();
    await analyzeWhatImportWrote(db, { resource: 'contact', stats: { ...EMPTY_STATS, total: rows, created: rows, events: rows } });
    const analyzeMs = performance.now() - ta;
    console.error(`  after the import's ANALYZE (${Math.round(analyzeMs)} ms):`);
    const fresh = await scenarios(false);

    // Every record back, page by page, by cursor: pages of 100 (the usual maximum) and of 1,000
    // (the maximum for records and events).
    const readAll: ReadResult['readAll'] = [];
    for (const limit of [100, 1000]) {
      const tr = performance.now();
      let pages = 0;
      let seen = 0;
      let after = '';
      for (;;) {
        const page = await get(`/v1/resources/contact/records?limit=${limit}${after ? `&starting_after=${after}` : ''}`);
        pages++;
        seen += page.data.length;
        const last = page.data.at(-1);
        if (!page.pagination.has_more || !last) break;
        after = last.id;
      }
      const ms = performance.now() - tr;
      if (seen !== rows) throw new Error(`read back ${seen} records of ${rows}`);
      readAll.push({ limit, ms, pages });
      console.error(`  all ${rows.toLocaleString('en-US')} records by cursor, pages of ${limit}: ${(ms / 1000).toFixed(1)} s (${pages} pages)`);
    }
    return { engine, rows, seedMs, analyzeMs, stale, fresh, readAll };
  } finally {
    await app?.close();
    await db.close();
    await drop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function readReport(results: ReadResult[]): string {
  const lines = [
    '| engine | rows | read | p50 / p99, stale statistics | p50 / p99, after the import\'s ANALYZE |',
    '|---|---:|---|---:|---:|',
  ];
  for (const r of results) {
    r.fresh.forEach((f, i) => {
      const s = r.stale[i]!;
      const staleCell = s.samples > 0 ? `${s.p50} / ${s.p99} ms` : 'not measured (seconds: sorts the table)';
      lines.push(`| ${i === 0 ? r.engine : ''} | ${i === 0 ? r.rows.toLocaleString('en-US') : ''} | ${f.name} | ${staleCell} | ${f.p50} / ${f.p99} ms |`);
    });
    for (const a of r.readAll) {
      lines.push(`| | | every record back by cursor (${a.pages.toLocaleString('en-US')} pages of ${a.limit}) | | ${(a.ms / 1000).toFixed(1)} s |`);
    }
  }
  return lines.join('\n');
}

/** Replaces (or appends) the reads section of bench/RESULTS.md. */
export function writeReadSection(file: string, results: ReadResult[], machine: string, command: string): void {
  const start = '<!-- reads:start -->';
  const end = '<!-- reads:end -->';
  const section = [
    start,
    '## Reads at scale',
    '',
    `Produced by \`${command}\`. ${machine}. Date: ${new Date().toISOString()}.`,
    '',
    `One organization holding that many contacts and as many change events (one import's), written with SQL, then 1% of the contacts updated; ${results[0]?.fresh[0]?.samples ?? 0} sequential requests per read over keep-alive HTTP to the API in the same process. "Stale statistics": the planner has none for the new rows (the tables were empty when last analyzed); "after the import's ANALYZE": what the finishing routine runs when an import that wrote ≥ 10,000 rows completes (src/lifecycle/analyze-written.ts).`,
    '',
    readReport(results),
    end,
  ].join('\n');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmark results\n';
  const next = old.includes(start) ? old.replace(new RegExp(`${start}[\\s\\S]*${end}`), section) : `${old.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(file, next);
}

export function machineLine(): string {
  return `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      engines: { type: 'string', default: 'postgres,pglite' },
      samples: { type: 'string', default: '200' },
      'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
      out: { type: 'string' },
    },
  });
  const results: ReadResult[] = [];
  for (const engine of values.engines!.split(',') as ('postgres' | 'pglite')[]) {
    results.push(await readBench(engine, Number(values.rows!.replace(/_/g, '')), values['database-url']!, Number(values.samples)));
  }
  console.log('\n' + readReport(results));
  if (values.out) writeReadSection(values.out, results, machineLine(), `tsx bench/reads.ts --rows ${values.rows} --engines ${values.engines}`);
}
