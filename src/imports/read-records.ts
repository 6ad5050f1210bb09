import type { Db } from '../db/db.js';
import { AppError } from '../errors.js';
import { getResource } from '../resources/index.js';
import { listRecords, type RecordJson } from './list-records.js';
import { pageMode, type Page, type PageRequest } from './list-page.js';

// GET /v1/resources/{name}/records: an organization's records of one resource, filtered by id,
// any lookup key (external_id, email, code, …) or update time.

export interface RecordQuery extends PageRequest {
  id?: string | undefined;
  /** Epoch seconds. */
  updated_since?: number | undefined;
  /** Lookup-key filters given in the request (`external_id`, `email`, …), by field. */
  keys?: Readonly<Record<string, string | undefined>>;
}

export async function listResourceRecords(db: Db, organizationId: string, resource: string, q: RecordQuery): Promise<Page<RecordJson>> {
  const def = getResource(resource);
  const keys: Record<string, string> = {};
  for (const [key, value] of Object.entries(q.keys ?? {})) {
    if (value === undefined) continue;
    if (!def.lookupKeys.includes(key)) {
      throw new AppError('invalid_request', `${def.name} records cannot be filtered by ${key}; filter by id, ${def.lookupKeys.join(', ')} or updated_since.`, [
        { field: key, in: 'querystring', message: `is not a lookup key of ${def.name}` },
      ]);
    }
    // Compared with the stored value, which was normalised the same way on import.
    const normalise = def.fields[key]?.normalise;
    keys[key] = normalise ? normalise(value) : value;
  }
  return listRecords(db, def, organizationId, { id: q.id, keys, updatedSince: q.updated_since }, pageMode(q), q.limit, q.include_total ?? false);
}
