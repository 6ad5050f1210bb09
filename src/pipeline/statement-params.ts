import { sql, type SqlParam } from '../db/sql.js';
import type { Action, ImportRecord } from '../domain/import.js';

// The values a phase's statements take from the import and the range it runs, each one
// labelled parameter: a builder writes `${p.importId}` wherever it needs the import id, and the
// `sql` tag numbers it once per statement. sql:print passes sample values with the same labels.

export interface StatementParams {
  importId: SqlParam;
  organizationId: SqlParam;
  action: SqlParam;
  duplicateHandling: SqlParam;
  /** The overwrite's location (resources tied to one), or null. */
  locationId: SqlParam | null;
  /** First and last row number of the range (1 and the last staged row when the phase is one range). */
  from: SqlParam;
  to: SqlParam;
}

type ImportFields = Pick<ImportRecord, 'id' | 'organization_id' | 'action' | 'duplicate_handling' | 'location_id'>;

export function statementParams(imp: ImportFields, from = 1, to = 1): StatementParams {
  return {
    importId: sql.param(imp.id, 'import id'),
    organizationId: sql.param(imp.organization_id, 'organization id'),
    action: sql.param(imp.action, 'action'),
    duplicateHandling: sql.param(imp.duplicate_handling, 'duplicate_handling'),
    locationId: imp.location_id === null ? null : sql.param(imp.location_id, 'location_id'),
    from: sql.param(from, 'first row of the range'),
    to: sql.param(to, 'last row of the range'),
  };
}

export type { Action };
