import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { createScratchDatabase, dropScratchDatabase, prepareHalfFull, rawCopy, sqlMerge } from './baselines.js';
import { writeContactsCsv } from './data.js';
import { embeddedBench, type EmbeddedResult } from './embedded.js';
import { machineLine, readBench, readReport, writeReadSection, type ReadResult } from './reads.js';
import { ServiceBench, type ServiceResult } from './service-scenarios.js';

// npm run bench -- [--rows 100000[,1000000]] [--database-url postgres://…] [--embedded-rows 100000] [--skip-embedded]
//                   [--scenarios empty,half-full,overwrite] [--out bench/RESULTS.md]
//
// On one Postgres, in one run, alternating the systems: raw COPY of the file, a hand-written SQL
// merge, and the service (async import: create → upload → completed) merging into an empty
// table, into a half-full one, and overwriting. Then the embedded mode (PGlite).

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'embedded-rows': { type: 'string', default: '100000' },
    'skip-embedded': { type: 'boolean', default: false },
    /** Service scenarios to run, comma-separated (default all): empty, half-full, overwrite. */
    scenarios: { type: 'string', default: 'empty,half-full,overwrite' },
    out: { type: 'string' },
    /** The read benchmark (bench/reads.ts): contacts and events per organization; 0 skips it. */
    'read-rows': { type: 'string', default: '100000' },
    /** Engines of the read benchmark, comma-separated: postgres, pglite. */
    'read-engines': { type: 'string', default: 'postgres,pglite' },
    /** Only the read benchmark. */
    'skip-imports': { type: 'boolean', default: false },
  },
});

const sizes = values.rows!.split(',').map((s) => Number(s.replace(/_/g, '')));
// Everything runs in a database of its own on that server, created now and dropped at the end:
// the same starting point on every run (no records, events or dead rows of earlier runs).
const serverUrl = values['database-url']!;
const scratch = `imports_bench_${process.pid}`;
const url = await createScratchDatabase(serverUrl, scratch);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-bench-'));
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (rows: number, ms: number) => `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')}`;

interface SizeResult {
  rows: number;
  bytes: number;
  rawMs: number;
  sqlMs: number;
  sqlEventsMs: number;
  service: ServiceResult[];
}

async function benchSize(rows: number): Promise<SizeResult> {
  const file = path.join(work, `contacts-${rows}.csv`);
  const half = path.join(work, `contacts-${rows}-half.csv`);
  const bytes = await writeContactsCsv(file, rows);
  await writeContactsCsv(half, Math.floor(rows / 2)); // the same first half: what the half-full table holds
  console.error(`\n# ${rows.toLocaleString('en-US')} rows (${(bytes / 1e6).toFixed(1)} MB)`);

  const rawMs = await rawCopy(url, file);
  console.error(`raw COPY            ${fmt(rawMs)}`);
  await prepareHalfFull(url, half);
  const sqlMs = await sqlMerge(url, file);
  console.error(`SQL merge           ${fmt(sqlMs)}`);
  await prepareHalfFull(url, half);
  const sqlEventsMs = await sqlMerge(url, file, true);
  console.error(`SQL merge + events  ${fmt(sqlEventsMs)}`);

  const svc = new ServiceBench(url);
  await svc.start();
  try {
    const empty = await svc.organization();
    const halfFull = await svc.organization(half);
    const service: ServiceResult[] = [];
    const wanted = new Set(values.scenarios!.split(','));
    for (const [key, name, client, action] of [
      ['empty', 'merge into empty', empty, 'merge'],
      ['half-full', 'merge into half-full', halfFull, 'merge'],
      ['overwrite', 'overwrite', halfFull, 'overwrite'],
    ] as const) {
      if (!wanted.has(key)) continue;
      const r = await svc.run(name, client, file, action);
      console.error(`service ${name.padEnd(22)} ${fmt(r.ms)}  worker peak ${r.workerPeakMb} MB  ${r.status}`);
      service.push(r);
    }
    return { rows, bytes, rawMs, sqlMs, sqlEventsMs, service };
  } finally {
    await svc.stop();
  }
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  let pgVersion = 'unknown';
  try {
    pgVersion = execFileSync('psql', [url, '-tAc', 'SHOW server_version'], { encoding: 'utf8' }).trim();
  } catch {
    // psql missing: leave unknown
  }
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, PostgreSQL ${pgVersion}, ${os.platform()} ${os.release()}`;
}

function report(results: SizeResult[], embedded: EmbeddedResult | null): string {
  const lines: string[] = [];
  lines.push(`Machine: ${machine()}`, `Date: ${new Date().toISOString()}`, '');
  lines.push('| rows | system | wall time | rows/s | × raw COPY | × SQL merge | worker peak RSS | per phase (ms) |');
  lines.push('|---:|---|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    lines.push(`| ${r.rows.toLocaleString('en-US')} | raw COPY | ${fmt(r.rawMs)} | ${rate(r.rows, r.rawMs)} | 1.00 | | | |`);
    lines.push(`| | SQL merge (COPY + INSERT … ON CONFLICT into half-full) | ${fmt(r.sqlMs)} | ${rate(r.rows, r.sqlMs)} | ${(r.sqlMs / r.rawMs).toFixed(2)} | 1.00 | | |`);
    lines.push(
      `| | SQL merge + one event per change (before/after JSON, SPEC §7) | ${fmt(r.sqlEventsMs)} | ${rate(r.rows, r.sqlEventsMs)} | ${(r.sqlEventsMs / r.rawMs).toFixed(2)} | ${(r.sqlEventsMs / r.sqlMs).toFixed(2)} | | |`,
    );
    for (const s of r.service) {
      const phases = Object.entries(s.phasesMs).map(([k, v]) => `${k} ${v}`).join(', ');
      lines.push(
        `| | service: ${s.scenario} | ${fmt(s.ms)} | ${rate(r.rows, s.ms)} | ${(s.ms / r.rawMs).toFixed(2)} | ${(s.ms / r.sqlMs).toFixed(2)} | ${s.workerPeakMb} MB | ${phases} |`,
      );
    }
  }
  if (embedded) {
    lines.push('', `Embedded (PGlite, API and worker in one process), ${embedded.rows.toLocaleString('en-US')}-row async merge:`, '');
    lines.push('| import rows/s | GET /v1/imports/{id} p50 / p99 while it runs | 1,000-row sync create p50 / p99 | process peak RSS |');
    lines.push('|---:|---:|---:|---:|');
    lines.push(
      `| ${rate(embedded.rows, embedded.ms)} (${fmt(embedded.ms)}) | ${embedded.getP50} / ${embedded.getP99} ms (${embedded.getSamples} samples) | ${embedded.syncP50} / ${embedded.syncP99} ms | ${embedded.peakMb} MB |`,
    );
  }
  return lines.join('\n');
}

try {
  const results: SizeResult[] = [];
  if (!values['skip-imports']) for (const rows of sizes) results.push(await benchSize(rows));
  let embedded: EmbeddedResult | null = null;
  if (!values['skip-embedded'] && !values['skip-imports']) {
    const rows = Number(values['embedded-rows']);
    const file = path.join(work, `embedded-${rows}.csv`);
    await writeContactsCsv(file, rows, 7);
    console.error(`\n# embedded, ${rows.toLocaleString('en-US')} rows`);
    embedded = await embeddedBench(file, rows);
  }
  if (!values['skip-imports']) {
    const table = report(results, embedded);
    console.log('\n' + table);
    if (values.out) fs.writeFileSync(values.out, `# Benchmark results\n\nProduced by \`npm run bench -- --rows ${values.rows}\`.\n\n${table}\n`);
  }
  const readRows = Number(values['read-rows']!.replace(/_/g, ''));
  if (readRows > 0) {
    const reads: ReadResult[] = [];
    for (const engine of values['read-engines']!.split(',') as ('postgres' | 'pglite')[]) reads.push(await readBench(engine, readRows, serverUrl));
    console.log('\n' + readReport(reads));
    if (values.out) writeReadSection(values.out, reads, machineLine(), `npm run bench -- --read-rows ${values['read-rows']} --read-engines ${values['read-engines']}`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  await dropScratchDatabase(serverUrl, scratch);
}
