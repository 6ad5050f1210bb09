import path from 'node:path';
import type { Config } from '../config.js';
import { acquireDataDir, type DataDirLock } from './data-dir-lock.js';
import type { Db } from './db.js';

/** A database as opened by openDb; `lock` is set for the embedded one (this process owns DATA_DIR). */
export type OpenedDb = Db & { readonly lock?: DataDirLock };

/**
 * DATABASE_URL selects a Postgres server; otherwise embedded PGlite under DATA_DIR/pg. Each
 * adapter is loaded only when chosen: PGlite's WebAssembly build alone adds ~50 MB to a
 * process, which a worker on Postgres has no use for.
 *
 * The embedded database is opened only after this process holds DATA_DIR (data-dir-lock.ts):
 * two processes with their own copies of one PGlite directory each lose the other's writes.
 * A process that cannot have it gets DataDirBusyError naming the owner, before touching a file.
 */
export async function openDb(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  owner: { role: string; port?: number | null } = { role: 'cli' },
): Promise<OpenedDb> {
  if (config.databaseUrl) return (await import('./pg.js')).openPostgres(config.databaseUrl);
  const lock = await acquireDataDir(config.dataDir, owner.role, owner.port ?? null);
  try {
    const db = await (await import('./pglite.js')).openPglite(path.join(config.dataDir, 'pg'));
    return {
      engine: db.engine,
      query: db.query,
      copyIn: db.copyIn,
      exec: db.exec,
      transaction: db.transaction,
      lock,
      async close() {
        try {
          await db.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
