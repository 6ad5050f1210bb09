import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/db.js';
import { openPostgres } from '../../src/db/pg.js';
import { buildApp } from '../../src/http/app.js';
import { storageFromConfig } from '../../src/storage/from-config.js';
import { sharedDataDir } from './processes.js';
import { createScratchDatabase } from './service.js';

// An API (no in-process worker) on a scratch PostgreSQL database, for tests whose workers are
// real processes sharing that database and DATA_DIR.

export interface SharedApi {
  url: string;
  db: Db;
  app: Awaited<ReturnType<typeof buildApp>>;
  close(): Promise<void>;
}

export async function startSharedApi(env: Record<string, string> = {}): Promise<SharedApi> {
  const scratch = await createScratchDatabase(inject('templateDb'));
  const db = await openPostgres(scratch.url, { max: 4 });
  const config = loadConfig({ DATABASE_URL: scratch.url, DATA_DIR: sharedDataDir(), ...env });
  const app = await buildApp({ db, config, storage: storageFromConfig(config) });
  return {
    url: scratch.url,
    db,
    app,
    async close() {
      await app.close();
      await db.close();
      await scratch.drop();
    },
  };
}
