import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { createScratchDatabase, dropScratchDatabase } from './baselines.js';
import { writeContactsCsv, writeHalfFullCsv } from './data.js';
import { embeddedBench, type EmbeddedResult } from './embedded.js';
import type { HandWrittenResult } from './hand-written-importer.js';
import { referenceRound, type ReferenceRound } from './references.js';
import { machineLine, readBench, readReport, writeReadSection, type ReadResult } from './reads.js';
import { ServiceBench, type ServiceResult } from './service-scenarios.js';

// npm run bench -- [--rows 100000[,1000000]] [--database-url postgres://…] [--embedded-rows 100000] [--skip-embedded]
//                   [--scenarios empty,half-full,overwrite] [--rounds 2] [--out bench/RESULTS.md]
//
// On one Postgres, in one run, alternating the systems: the references (raw COPY of the file,
// a hand-written SQL merge with and without one event per change, the hand-written importer of
// bench/hand-written-importer.ts with and without events), then the service (async import:
// create → upload → completed) merging into an empty table, into a half-full one, and
// overwriting, then the references again (--rounds 2). Every merge into "half-full" starts from
// the same data: half the file's records, every other one with other values. Then the
// embedded mode (PGlite, always: never the DATABASE_URL of this shell).

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'embedded-rows': { type: 'string', default: '100000' },
    'skip-embedded': { type: 'boolean', default: false },
    /** Service scenarios to run, comma-separated (default all): empty, half-full, overwrite. */
    scenarios: { type: 'string', default: 'empty,half-full,overwrite' },
    /** 2: the references run before the service scenarios and again after them; 1: before only. */
    rounds: { type: 'string', default: '2' },
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
// Other work on the machine distorts every figure: the report shows the load average around the run.
const loadAtStart = os.loadavg();
const serverUrl = values['database-url']!;
const scratch = `imports_bench_${process.pid}`;
const url = await createScratchDatabase(serverUrl, scratch);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-bench-'));
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (rows: number, ms: number) => `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')}`;

interface SizeResult {
  rows: number;
  bytes: number;
  /** One per round, in the order run. */
  refs: ReferenceRound[];
  service: ServiceResult[];
}

const logRef = (name: string, ms: number, note = '') => console.error(`${name.padEnd(30)} ${fmt(ms)}  ${note}`);

async function benchSize(rows: number): Promise<SizeResult> {
  const file = path.join(work, `contacts-${rows}.csv`);
  const half = path.join(work, `contacts-${rows}-half.csv`);
  const bytes = await writeContactsCsv(file, rows);
  await writeHalfFullCsv(half, rows);
  console.error(`\n# ${rows.toLocaleString('en-US')} rows (${(bytes / 1e6).toFixed(1)} MB)`);
  const refs = [await referenceRound(url, file, half, logRef)];

  const service: ServiceResult[] = [];
  const svc = new ServiceBench(url);
  await svc.start();
  try {
    const empty = await svc.organization();
    const halfFull = await svc.organization(half);
    const wanted = new Set(values.scenarios!.split(','));
    for (const [key, name, client, action] of [
      ['empty', 'merge into empty', empty, 'merge'],
      ['half-full', 'merge into half-full', halfFull, 'merge'],
      ['overwrite', 'overwrite', halfFull, 'overwrite'],
    ] as const) {
      if (!wanted.has(key)) continue;
      const r = await svc.run(name, client, file, action);
      console.error(`service ${name.padEnd(22)} ${fmt(r.ms)}  worker peak ${r.workerPeakMb} MB  ${r.status}  ${stats(r)}`);
      console.error(`  phases (ms): ${phases(r)}`);
      console.error(`  progress, longest still while running, ms (values seen): ${r.progress.summary()}`);
      service.push(r);
    }
  } finally {
    await svc.stop();
  }
  if (Number(values.rounds) >= 2) {
    console.error('# the references again, after the service');
    refs.push(await referenceRound(url, file, half, logRef));
  }
  return { rows, bytes, refs, service };
}

function stats(s: ServiceResult): string {
  const n = (k: string) => (s.stats[k] ?? 0).toLocaleString('en-US');
  return `created ${n('created')}, updated ${n('updated')}, unchanged ${n('unchanged')}, duplicates ${n('duplicates')}, errors ${n('errors')}, events ${n('events')}`;
}

const phases = (s: ServiceResult) => Object.entries(s.phasesMs).map(([k, v]) => `${k} ${v}`).join(', ');

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
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  lines.push(`Machine: ${machine()}`, `Date: ${new Date().toISOString()}`, `Load average (1, 5, 15 min) at start: ${load(loadAtStart)}; at end: ${load(os.loadavg())}`, '');
  lines.push(
    'Reference times are the mean of the rounds (each round in brackets: before the service, after it). The service\'s ratio to each reference is its time over that mean.',
    '',
  );
  lines.push(
    '| rows | system | wall time | rows/s | × raw COPY | × SQL merge | × SQL merge + events | × hand-written | × hand-written + events | peak RSS | rows created / updated / unchanged / duplicates / errors | per phase (ms) |',
  );
  lines.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const r of results) {
    const mean = (f: (x: ReferenceRound) => number) => r.refs.reduce((a, x) => a + f(x), 0) / r.refs.length;
    const each = (f: (x: ReferenceRound) => number) => (r.refs.length > 1 ? ` (${r.refs.map((x) => (f(x) / 1000).toFixed(2)).join(', ')})` : '');
    const refs: [string, (x: ReferenceRound) => number][] = [
      ['raw COPY', (x) => x.rawMs],
      ['SQL merge (COPY + INSERT … ON CONFLICT into half-full)', (x) => x.sqlMs],
      ['SQL merge + one event per change (before/after JSON, SPEC §7)', (x) => x.sqlEventsMs],
      ['hand-written importer (csv-parse → zod → COPY → resolve codes → upsert)', (x) => x.hand.ms],
      ['hand-written importer + one event per change', (x) => x.handEvents.ms],
    ];
    const means = refs.map(([, f]) => mean(f));
    const ratios = (ms: number, upTo: number) =>
      means.map((m, i) => (i <= upTo ? (ms / m).toFixed(2) : '')).join(' | ');
    const handNote = (f: (x: ReferenceRound) => HandWrittenResult) => {
      const h = f(r.refs[0]!);
      const n = (v: number) => v.toLocaleString('en-US');
      return [`${Math.max(...r.refs.map((x) => f(x).peakRssMb))} MB`, `${n(h.created)} / ${n(h.updated)} / ${n(h.unchanged)} / – (last row wins) / ${n(h.rejected)}`];
    };
    refs.forEach(([name, f], i) => {
      const extra = i === 3 ? handNote((x) => x.hand) : i === 4 ? handNote((x) => x.handEvents) : ['', ''];
      lines.push(
        `| ${i === 0 ? r.rows.toLocaleString('en-US') : ''} | ${name} | ${fmt(means[i]!)}${each(f)} | ${rate(r.rows, means[i]!)} | ${ratios(means[i]!, Math.min(i, 0))} | ${extra[0]} | ${extra[1]} | |`,
      );
    });
    for (const s of r.service) {
      const st = (k: string) => (s.stats[k] ?? 0).toLocaleString('en-US');
      lines.push(
        `| | **service: ${s.scenario}** | ${fmt(s.ms)} | ${rate(r.rows, s.ms)} | ${ratios(s.ms, 4)} | ${s.workerPeakMb} MB (worker) | ${st('created')} / ${st('updated')} / ${st('unchanged')} / ${st('duplicates')} / ${st('errors')} | ${phases(s)} |`,
      );
    }
  }
  lines.push('', 'Live progress: the longest time, in ms, a running phase\'s `processed` stood still for a client polling GET /v1/imports/{id} (every 100 ms; every 50 ms embedded), and how many values it took:', '');
  lines.push('| rows | system | longest still | per phase: ms (values) |', '|---:|---|---:|---|');
  for (const r of results) {
    for (const s of r.service) lines.push(`| ${r.rows.toLocaleString('en-US')} | service: ${s.scenario} | ${s.progress.longestStillMs()} ms | ${s.progress.summary()} |`);
  }
  if (embedded) lines.push(`| ${embedded.rows.toLocaleString('en-US')} | embedded (PGlite) | ${embedded.progress.longestStillMs()} ms | ${embedded.progress.summary()} |`);
  if (embedded) {
    lines.push('', `Embedded (PGlite, API and worker in one process), ${embedded.rows.toLocaleString('en-US')}-row async merge:`, '');
    lines.push('| import rows/s | GET /v1/imports/{id} p50 / p99 while it runs | 1,000-row sync create p50 / p99 | process peak RSS until the import ends (first start, initdb) | per phase (s) | RSS while each phase ran (MB, most seen) |');
    lines.push('|---:|---:|---:|---:|---|---|');
    const list = (o: Record<string, number>) =>
      Object.entries(o)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    lines.push(
      `| ${rate(embedded.rows, embedded.ms)} (${fmt(embedded.ms)}) | ${embedded.getP50} / ${embedded.getP99} ms (${embedded.getSamples} samples) | ${embedded.syncP50} / ${embedded.syncP99} ms | ${embedded.peakMb} MB (${embedded.startPeakMb} MB) | ${list(embedded.phasesS)} | ${list(embedded.rssMbByPhase)} |`,
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
    console.error(`embedded ${fmt(embedded.ms)}  GET p50/p99 ${embedded.getP50}/${embedded.getP99} ms  peak ${embedded.peakMb} MB`);
    console.error(`  progress, longest still while running, ms (values seen): ${embedded.progress.summary()}`);
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
