import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import { startService, type TestService } from '../support/service.js';

// A migration whose first line is `-- engine: pglite` (or postgres) runs on that engine only,
// and is recorded as applied on the other, so a version means the same everywhere.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

it('runs an engine-specific migration on its engine only, and records it on both', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
  fs.writeFileSync(path.join(dir, '9001_only_pglite.sql'), '-- engine: pglite\nCREATE TABLE only_pglite (x int);\n');
  fs.writeFileSync(path.join(dir, '9002_only_postgres.sql'), '-- engine: postgres\nCREATE TABLE only_postgres (x int);\n');
  fs.writeFileSync(path.join(dir, '9003_everywhere.sql'), '-- a comment first\nCREATE TABLE everywhere (x int);\n');
  const migrations = readMigrations(dir);
  expect(migrations.map((m) => m.engine)).toEqual(['pglite', 'postgres', undefined]);
  expect(await migrate(svc.db, migrations)).toEqual(['9001_only_pglite', '9002_only_postgres', '9003_everywhere']);
  const tables = await svc.db.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_name IN ('only_pglite', 'only_postgres', 'everywhere') ORDER BY 1`,
  );
  expect(tables.rows.map((r) => r.t)).toEqual(['everywhere', svc.engine === 'pglite' ? 'only_pglite' : 'only_postgres']);
  expect(await migrate(svc.db, migrations)).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
});
