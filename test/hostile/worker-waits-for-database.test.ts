import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';
import { openPostgres } from '../../src/db/pg.js';
import { buildApp } from '../../src/http/app.js';
import { storageFromConfig } from '../../src/storage/from-config.js';
import { createOrganizationWithKey } from '../../src/tenancy/api-keys.js';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { sharedDataDir, spawnWorker, until } from '../support/processes.js';

// Issue 18 item 9: a worker started while PostgreSQL is down exited. Now it logs that it waits,
// retries, and once the server is up it works as any worker. Needs a private server it can stop
// (like test/worker/database-restart.test.ts), so it runs in the PostgreSQL pass of the suite.
const withServer = describe.skipIf(!process.env.DATABASE_URL || !privatePostgresAvailable());

withServer('issue 18 item 9: a worker started while PostgreSQL is down waits for it', () => {
  let pg: PrivatePostgres;
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    const db = await openPostgres(pg.url, { max: 1 });
    await migrate(db);
    await db.close();
    pg.stop();
  });
  afterAll(() => pg?.destroy());

  it('logs and retries instead of exiting, then runs imports once the server is up', async () => {
    const worker = spawnWorker(pg.url, { LOG_LEVEL: 'info' });
    let db: Db | undefined;
    let app: Awaited<ReturnType<typeof buildApp>> | undefined;
    try {
      await until('the worker to say it waits', async () => worker.output().includes('database unreachable; waiting for it'), 30_000);
      // Still alive after a few attempts.
      await new Promise((r) => setTimeout(r, 2500));
      expect(worker.child.exitCode).toBeNull();
      pg.start();
      await until('the worker to start', async () => worker.output().includes('worker started'), 60_000);

      db = await openPostgres(pg.url, { max: 2 });
      const config = loadConfig({ DATABASE_URL: pg.url, DATA_DIR: sharedDataDir() });
      app = await buildApp({ db, config, storage: storageFromConfig(config) });
      const { api_key: key } = await createOrganizationWithKey(db, 'waited');
      const created = await app.inject({
        method: 'POST', url: '/v1/imports', headers: { authorization: `Bearer ${key}` },
        payload: { resource: 'item', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'W1', name: 'Widget' }] },
      });
      expect(created.statusCode).toBe(201);
      const api = app;
      const imp = await until<{ stats: Record<string, number> }>('the import to complete', async () => {
        const res = await api.inject({ method: 'GET', url: `/v1/imports/${created.json().id}`, headers: { authorization: `Bearer ${key}` } });
        return res.json().status === 'completed' ? res.json() : null;
      }, 60_000, 200);
      expect(imp.stats).toMatchObject({ total: 1, created: 1 });
    } catch (err) {
      throw new Error(`${(err as Error).message}; worker said:\n${worker.output().slice(-3000)}`);
    } finally {
      await worker.kill('SIGTERM');
      await app?.close();
      await db?.close();
    }
  }, 180_000);
});
