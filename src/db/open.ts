import path from 'node:path';
import type { Config } from '../config.js';
import type { Db } from './db.js';

/**
 * DATABASE_URL selects a Postgres server; otherwise embedded PGlite under DATA_DIR/pg. Each
 * adapter is loaded only when chosen: PGlite's WebAssembly build alone adds ~50 MB to a
 * process, which a worker on Postgres has no use for.
 */
export async function openDb(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Db> {
  if (config.databaseUrl) return (await import('./pg.js')).openPostgres(config.databaseUrl);
  return (await import('./pglite.js')).openPglite(path.join(config.dataDir, 'pg'));
}
