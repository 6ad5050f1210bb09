import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/pg.js';
import type { TestProject } from 'vitest/node';

// Prepares one migrated database template for the whole run, so each test file starts from a
// copy instead of running initdb and migrations again: a PGlite dump file by default, or a
// template database on the Postgres server named by DATABASE_URL.

// Named per run: two suites running at once against one server (two checkouts, or CI beside a
// developer) must not drop or migrate each other's template.
export const TEMPLATE_DB = `imports_test_template_${process.pid}`;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${TEMPLATE_DB}`;
    const db = await openPostgres(u.toString(), { max: 1 });
    await migrate(db);
    await db.close();
    project.provide('templateDb', TEMPLATE_DB);
    return async () => {
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
      await a.end();
    };
  }
  const db = await openPglite(undefined);
  await migrate(db);
  const dump = await db.dumpDataDir();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'imports-test-')), 'template.tar');
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await db.close();
  project.provide('pgliteTemplate', file);
  return async () => fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string;
    pgliteTemplate: string;
  }
}
