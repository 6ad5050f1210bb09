import type { Queryable } from '../db/db.js';
import { getResource } from '../resources/index.js';
import type { ImportRecord } from '../domain/import.js';

// An import that wrote many rows ANALYZEs the tables it wrote, so the planner's statistics
// describe them right after it ends. Autovacuum would eventually, but it may be off or far behind
// (PGlite has none at all), and with stale statistics a table that grew from nothing to a
// million rows is still planned as empty: the issue this answers saw 727 rows estimated for
// 237,630. The list queries themselves do not depend on statistics (each page is a keyset read
// of an index); filters such as updated_since, and total_count estimates above the exact
// threshold, do.
//
// end-import.ts calls it as a completed import ends, before its status becomes final, so a
// client that reads right after completion never races it (ANALYZE samples ~30,000 rows of a
// table: tens to hundreds of milliseconds whatever its size).

/** Records, events or row errors written by one import from which their table is analyzed. */
export const ANALYZE_AFTER_ROWS = 10_000;

export async function analyzeWhatImportWrote(db: Pick<Queryable, 'exec'>, imp: Pick<ImportRecord, 'resource' | 'stats'> & { dry_run?: boolean }): Promise<string[]> {
  const s = imp.stats;
  const tables: string[] = [];
  // A dry run's stats count what it would write; it wrote only its forecast (pipeline/dry-run.ts).
  if (imp.dry_run) {
    if (s.events >= ANALYZE_AFTER_ROWS) tables.push('forecast_events');
  } else {
    if (s.created + s.updated + s.deleted + s.overwritten >= ANALYZE_AFTER_ROWS) tables.push(getResource(imp.resource).table);
    if (s.events >= ANALYZE_AFTER_ROWS) tables.push('events');
  }
  if (s.errors + s.duplicates >= ANALYZE_AFTER_ROWS) tables.push('import_errors');
  // Table names come from the resource definitions and this list, never from input.
  if (tables.length > 0) await db.exec(`ANALYZE ${tables.join(', ')}`);
  return tables;
}
