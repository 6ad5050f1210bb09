import { sql, type SqlFragment } from '../db/sql.js';

// Dry runs (issue 16): every phase runs to the end and reports what a real run would do, but no
// record changes and no event is written.
//
// How the forecast stays exact: processing and cleanup run the same statements as a real run,
// with two differences only — the resource tables are read, never written, and each would-be
// event goes to `forecast_events` instead of `events` (same columns, so the changes listing and
// the results file read either with one query). A dry run's statements compute exactly what the
// real ones would write because, within one import, no write feeds another: parsing leaves at
// most one row per record, rows reference only records of other resources, and cleanup's
// doomed set (scope, unmentioned, not required) does not depend on what processing wrote. The
// one chained case — one record losing references in two of its fields to the same deleted
// records, which a real run writes as two successive updates — is computed in that order too
// (remove-records.ts, clearReferencesSql).
//
// Why not run the real statements and roll them back to a savepoint: the would-be events would
// have to leave the savepoint through the client, i.e. in memory (a million-row delete holds a
// million events), or be rewritten after the rollback. Writing them straight to their own
// table keeps every phase set-based, memory bounded, and crash-resume unchanged: a range's
// forecast commits with the range's cursor exactly as a real range's events do.

/** Where a phase's change events go: the events, or a dry run's forecast of them. */
export const eventsTable = (dryRun: boolean): SqlFragment => (dryRun ? sql`forecast_events` : sql`events`);
