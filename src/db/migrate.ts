import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

// Numbered, forward-only plain-SQL migrations (migrations/NNNN_name.sql), each applied once in
// its own transaction. An advisory lock makes concurrent starts of several processes safe.

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
const LOCK_KEY = 7_461_003; // arbitrary, constant: "imports service migrations"

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** From a first line `-- engine: pglite|postgres`: the migration runs on that engine only. */
  engine?: Db['engine'];
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = fs.readFileSync(path.join(dir, f), 'utf8');
      const engine = /^-- engine: (pglite|postgres)\s*$/m.exec(sql.split('\n', 1)[0] ?? '')?.[1] as Db['engine'] | undefined;
      return { version: Number(f.slice(0, 4)), name: f.replace(/\.sql$/, ''), sql, ...(engine ? { engine } : {}) };
    });
}

/**
 * Applies pending migrations; returns the names applied now. A migration for another engine is
 * recorded as applied without running, so versions mean the same on both.
 */
export async function migrate(db: Db, migrations = readMigrations()): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (seen.rowCount > 0) return false;
      // Multi-statement SQL has to go through the simple protocol (no parameters).
      if (!m.engine || m.engine === db.engine) await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.name);
  }
  return applied;
}
