import type { Config } from '../config.js';
import type { Db, Queryable } from '../db/db.js';
import type { ImportRecord, Stats } from '../domain/import.js';
import { crashPoint } from '../crash-points.js';
import type { PhaseContext, PhaseOutcome } from './phase.js';
import type { PhaseName } from './phase-list.js';
import { fence, Released } from '../lifecycle/fencing.js';
import type { RunDeps } from './phase.js';
import { planForImport } from '../staging/working-rows.js';
import type { LiveProgress } from '../lifecycle/live-progress.js';
import { phaseTotal } from '../lifecycle/phase-progress.js';

// Phases whose work is decided row by row run range by range: each range of staged rows in a
// transaction of its own, which also records how far the phase got (import_phases.pass and
// .cursor). Why:
//  - PGlite has one session: a phase holding it for seconds made every API request wait that
//    long. A range holds it for a fraction of a second.
//  - A run that dies resumes after the last committed range instead of redoing the phase.
//  - `processed` moves while the phase runs: it is a progress bar, on both engines (a range
//    lasts well under a second, see RangeSizes).
// Only work that decides each row on its own (or from what earlier passes completed) is split
// like this, so running it range by range gives exactly what running it at once would. Row
// errors of a range commit with it; the rows it removes are live until then.
// A phase that must commit whole (`oneTransaction`: processing on PostgreSQL) still runs range
// by range, inside its one transaction, and reports each range as live progress
// (lifecycle/live-progress.ts) instead of committing it.

/** A pass gets the rows `from`..`to` (row numbers, inclusive). */
export interface ChunkContext extends PhaseContext {
  from: number;
  to: number;
  /** False when the range is every row, in the transaction that completes the phase. */
  ranged: boolean;
}

/** How many rows a range removed, and counters it adds to the import's stats (summed over ranges). */
export interface RangeOutcome {
  removed: number;
  counts?: Partial<Stats>;
}
export type Pass = (ctx: ChunkContext) => Promise<RangeOutcome>;

export interface ChunkedPhase {
  /** Run in order, each over every range before the next starts. */
  passes: readonly Pass[];
  /**
   * Before the first range (in a transaction of its own, so that a range stays short) or, when
   * the phase is one transaction, before its passes: e.g. fresh planner statistics.
   */
  prepare?: (ctx: PhaseContext) => Promise<void>;
  /**
   * When true, the phase's ranges all run in one transaction, which completes the phase, for
   * this import on this engine: for work that must not be seen half done (see processing.ts).
   */
  oneTransaction?: (imp: ImportRecord, engine: Db['engine']) => boolean;
  /** When true, the passes cannot be split: they run over all rows at once, in one transaction. */
  oneRange?: (imp: ImportRecord) => boolean;
  /**
   * When true, on this engine each pass is one range over the whole file (still committed pass
   * by pass) unless PHASE_CHUNK_ROWS is set: for passes whose whole-file statement is much
   * cheaper than its ranges (see preparsing.ts).
   */
  wholePasses?: (engine: Db['engine']) => boolean;
}

/** How a phase's rows are cut into ranges on an engine. */
export interface RangeSizes {
  /** Rows of the first range. */
  first: number;
  /** Size the next range from how long the last one took (else every range is `first` rows). */
  adaptive: boolean;
  /** How long a range should take. */
  targetMs: number;
  min: number;
  max: number;
}

/**
 * How long a range should hold PGlite's one session: an API request waits at most about this.
 * Measured with the embedded benchmark (100k rows, quiet machine): at 100 ms the p99 of GET
 * /v1/imports/{id} was 260-310 ms, at 80 ms 150-160 ms, at 60 ms 90-130 ms; the import took 18,
 * 21 and 24 s. The target is a p99 under 150 ms (issue 19), hence 60. (Making the worker's next
 * transaction wait while a request is between two of its queries was tried: no change, a
 * request already waits for about one range.)
 */
export const RANGE_TARGET_MS = 60;

/** PGlite: short ranges, so that an API request never waits long for the session. */
export const PGLITE_RANGES: RangeSizes = { first: 2_000, adaptive: true, targetMs: RANGE_TARGET_MS, min: 500, max: 50_000 };

/**
 * PostgreSQL: a long transaction blocks no reader there, and one set-based statement over the
 * file is the fastest: on a quiet machine at 100k rows, ranges of 20,000-40,000 rows made
 * transforming 2.4 s against 1.0, validation 1.8 against 1.0, processing 6.1 against 3.4 (the
 * ranged plans look rows up where one statement hashes them). So a range is never under
 * 250,000 rows: an import up to that size runs each phase as one statement, as before, and a
 * larger one shows its progress every 250,000 rows or more (about every second at the 1M
 * profile's rates only for the cheaper phases; see bench/RESULTS.md, "Live progress").
 */
export const POSTGRES_RANGES: RangeSizes = { first: 250_000, adaptive: true, targetMs: 1_000, min: 250_000, max: 2_000_000 };

/** The range sizes on this engine; PHASE_CHUNK_ROWS fixes every range's size on either. */
export function rangeSizesFor(db: Pick<Db, 'engine'>, config: Readonly<Config>): RangeSizes {
  const sizes = db.engine === 'pglite' ? PGLITE_RANGES : POSTGRES_RANGES;
  const fixed = config.worker.chunkRows;
  return fixed === undefined ? sizes : { ...sizes, first: fixed, adaptive: false };
}

/**
 * Rows per transaction where nothing is measured (dropping a finished import's working rows):
 * on PostgreSQL everything at once, on PGlite small steps. PHASE_CHUNK_ROWS fixes it.
 */
export function chunkRowsFor(db: Pick<Db, 'engine'>, config: Readonly<Config>): number {
  return config.worker.chunkRows ?? (db.engine === 'pglite' ? PGLITE_RANGES.first : Number.MAX_SAFE_INTEGER);
}

/**
 * Rows per prevalidation batch (one COPY and one transaction). On PGlite a batch is validated
 * and copied on the thread the API answers on, holding it: 5,000 rows took ~170 ms to validate
 * and ~140 ms to copy, 1,000 keep a request's wait short. BATCH_ROWS fixes it on either engine.
 */
export function batchRowsFor(db: Pick<Db, 'engine'>, config: Readonly<Config>): number {
  return config.batchRows ?? (db.engine === 'pglite' ? 1_000 : 5_000);
}

/**
 * The next range's size from how long the last one took, aiming at `sizes.targetMs`: phases
 * cost very different amounts per row, and machines differ. Grows at most twofold per range;
 * stays within `sizes.min`..`sizes.max`.
 */
export function nextRangeRows(rows: number, ms: number, sizes: RangeSizes = PGLITE_RANGES): number {
  const aimed = Math.round((rows * sizes.targetMs) / Math.max(ms, 1));
  return Math.min(sizes.max, Math.max(sizes.min, Math.min(aimed, rows * 2)));
}

/** Where the phase has got, 0..total, when `pass` of `passes` has reached row `to` of `lastRow`. */
function progressAt(total: number, pass: number, passes: number, to: number, lastRow: number): number {
  const done = (pass + (lastRow > 0 ? to / lastRow : 1)) / passes;
  return Math.min(total, Math.round(total * done));
}

interface Cursor {
  pass: number;
  cursor: number;
  total: number;
  lastRow: number;
}

export async function runPasses(
  deps: Pick<RunDeps, 'db' | 'config' | 'shouldStop'>,
  ctx: Omit<PhaseContext, 'tx'>,
  position: number,
  name: PhaseName,
  phase: ChunkedPhase,
): Promise<void> {
  const { db, config } = deps;
  const { imp } = ctx;
  const start = await readCursor(db, imp, position);
  const { total, lastRow } = start;
  let { pass, cursor } = start;
  const whole = config.worker.chunkRows === undefined && !!phase.wholePasses?.(db.engine);
  const sizes = whole ? { ...rangeSizesFor(db, config), first: Math.max(lastRow, 1), adaptive: false } : rangeSizesFor(db, config);
  let step = sizes.first;
  if (phase.prepare && pass === 0 && cursor === 0) {
    await db.transaction(async (tx) => {
      await fence(tx, imp, 'check');
      await phase.prepare!({ ...ctx, tx });
    });
  }
  for (; pass < phase.passes.length; pass++, cursor = 0) {
    const run = phase.passes[pass]!;
    while (cursor < lastRow) {
      const from = cursor + 1;
      if (deps.shouldStop?.({ phase: name, from })) throw new Released(imp.id);
      const to = Math.min(cursor + step, lastRow);
      const started = performance.now();
      await db.transaction(async (tx) => {
        await fence(tx, imp, 'check');
        await planForImport(tx, config.worker.workMem);
        // A range that is the whole file runs the statements written for the whole file.
        const out = await run({ ...ctx, tx, from, to, ranged: from > 1 || to < lastRow });
        await fence(tx, imp, 'lock');
        await recordRange(tx, imp.id, position, { pass, cursor: to, processed: progressAt(total, pass, phase.passes.length, to, lastRow), ...out });
      });
      crashPoint(`${name}:after-range`);
      if (sizes.adaptive) step = nextRangeRows(to - from + 1, performance.now() - started, sizes);
      cursor = to;
    }
  }
}

/** Where the phase's passes stand, and the highest staged row (0 when nothing is staged). */
async function readCursor(db: Queryable, imp: Pick<ImportRecord, 'id'>, position: number): Promise<Cursor> {
  const res = await db.query<Cursor>(
    `SELECT p.pass, p.cursor, p.total, coalesce((SELECT max(r.row) FROM import_rows r WHERE r.import_id = $1), 0)::int AS "lastRow"
     FROM import_phases p WHERE p.import_id = $1 AND p.position = $2`,
    [imp.id, position],
  );
  return res.rows[0] ?? { pass: 0, cursor: 0, total: 0, lastRow: 0 };
}

async function recordRange(
  tx: Queryable,
  importId: string,
  position: number,
  r: { pass: number; cursor: number; processed: number } & RangeOutcome,
): Promise<void> {
  await tx.query(
    `UPDATE import_phases SET pass = $3, cursor = $4, error = error + $5::int, processed = greatest(processed, $6::int),
       success = greatest(greatest(processed, $6::int) - (error + $5::int), 0),
       counts = (SELECT coalesce(jsonb_object_agg(k, coalesce((counts ->> k)::int, 0) + coalesce(($7::jsonb ->> k)::int, 0)), '{}')
                 FROM jsonb_object_keys(counts || $7::jsonb) k)
     WHERE import_id = $1 AND position = $2`,
    [importId, position, r.pass, r.cursor, r.removed, r.processed, JSON.stringify(r.counts ?? {})],
  );
}

/**
 * A phase with passes as one transaction (`oneTransaction`, `oneRange`, or a sync import's
 * upload phases). With `sizes`, each pass goes range by range (as runPasses would, but nothing
 * commits until the phase does) and `live` is told of each range: work done, not committed.
 * Without, every pass runs over all rows at once.
 */
export async function runWhole(
  ctx: PhaseContext,
  position: number,
  phase: ChunkedPhase,
  opts: { sizes?: RangeSizes; live?: LiveProgress } = {},
): Promise<PhaseOutcome> {
  const { lastRow } = await readCursor(ctx.tx, ctx.imp, position);
  const total = await phaseTotal(ctx.tx, ctx.imp.id, position);
  await phase.prepare?.(ctx);
  let removed = 0;
  const counts: Record<string, number> = {};
  const add = (out: RangeOutcome) => {
    removed += out.removed;
    for (const [k, v] of Object.entries(out.counts ?? {})) counts[k] = (counts[k] ?? 0) + v;
  };
  const { sizes, live } = opts;
  for (const [pass, run] of phase.passes.entries()) {
    if (!sizes) {
      add(await run({ ...ctx, from: 1, to: lastRow, ranged: false }));
      continue;
    }
    let step = sizes.first;
    for (let cursor = 0; cursor < lastRow; ) {
      const from = cursor + 1;
      const to = Math.min(cursor + step, lastRow);
      const started = performance.now();
      add(await run({ ...ctx, from, to, ranged: from > 1 || to < lastRow }));
      live?.report(progressAt(total, pass, phase.passes.length, to, lastRow));
      if (sizes.adaptive) step = nextRangeRows(to - from + 1, performance.now() - started, sizes);
      cursor = to;
    }
  }
  return { total, error: removed, stats: counts };
}

/** The outcome of a phase whose passes ran range by range: what its ranges recorded. */
export async function finishPasses(ctx: PhaseContext, position: number): Promise<PhaseOutcome> {
  const res = await ctx.tx.query<{ total: number; error: number; counts: Partial<Stats> }>(
    'SELECT total, error, counts FROM import_phases WHERE import_id = $1 AND position = $2',
    [ctx.imp.id, position],
  );
  const r = res.rows[0] ?? { total: 0, error: 0, counts: {} };
  return { total: r.total, error: r.error, stats: r.counts };
}
