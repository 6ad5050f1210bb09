import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';
import { openPostgres } from '../../src/db/pg.js';
import { buildApp } from '../../src/http/app.js';
import { storageFromConfig } from '../../src/storage/from-config.js';
import { sharedDataDir } from '../support/processes.js';
import { createOrganizationWithKey } from '../../src/tenancy/api-keys.js';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { spawnWorker, until } from '../support/processes.js';

// "Restarting Postgres during an import delays it and loses nothing": a worker process runs an
// import while its database (a private server, so other tests are not disturbed) stops and
// comes back; the worker reconnects by itself and the import ends as an undisturbed one would.
// Runs in the PostgreSQL pass of the suite (DATABASE_URL set; it needs the server binaries, which
// come with PostgreSQL), not again in the PGlite pass.
const withServer = describe.skipIf(!process.env.DATABASE_URL || !privatePostgresAvailable());

let pg: PrivatePostgres;
let db: Db;
let app: Awaited<ReturnType<typeof buildApp>>;
const dataDir = sharedDataDir();

withServer('database restart', () => {
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    db = await openPostgres(pg.url, { max: 2 });
    await migrate(db);
    const config = loadConfig({ DATABASE_URL: pg.url, DATA_DIR: dataDir });
    app = await buildApp({ db, config, storage: storageFromConfig(config) });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    pg?.destroy();
  });

  async function get(key: string, path: string) {
    for (;;) {
      try {
        const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}` } });
        if (res.statusCode === 200) return res.json();
      } catch {
        // database down: ask again
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('an import survives a restart of its database, with the same result as without one', async () => {
    const data = Array.from({ length: 8000 }, (_, i) => ({ external_id: `E${i % 7900}`, name: `Item ${i}`, value: i % 97 === 0 ? -5 : i }));
    const results = [];
    for (const disturb of [false, true]) {
      const { api_key: key } = await createOrganizationWithKey(db, disturb ? 'restarted' : 'calm');
      const created = await app.inject({ method: 'POST', url: '/v1/imports', headers: { authorization: `Bearer ${key}` }, payload: { resource: 'item', action: 'merge', upload_mode: 'sync', data } });
      const id = created.json().id;
      const worker = spawnWorker(pg.url);
      if (disturb) {
        await until('processing to start', async () => (await get(key, `/v1/imports/${id}`)).status === 'processing', 60_000, 20);
        pg.restart();
      }
      const imp = await until('the import to complete', async () => {
        const i = await get(key, `/v1/imports/${id}`);
        return i.status === 'completed' ? i : null;
      }, 120_000, 200).catch((err: Error) => {
        throw new Error(`${err.message}; worker said:\n${worker.output().slice(-3000)}`);
      });
      await worker.kill('SIGTERM');
      results.push({ stats: imp.stats, phases: imp.phases.map((p: any) => [p.name, p.status, p.total, p.error]) });
    }
    expect(results[1]).toEqual(results[0]);
  }, 300_000);
});
