import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/db.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/pg.js';
import { buildApp } from '../../src/http/app.js';
import { storageFromConfig } from '../../src/storage/from-config.js';
import type { Storage } from '../../src/storage/storage.js';
import { createOrganizationWithKey } from '../../src/tenancy/api-keys.js';
import { Runner } from '../../src/worker/runner.js';
import type { Stats } from '../../src/domain/import.js';

// The product as a test drives it: the real HTTP app (requests injected, no port), the real
// worker (drained on demand, so tests are deterministic), and a real database of its own —
// PGlite by default, a fresh Postgres database when DATABASE_URL is set. Files go to a temp
// DATA_DIR of its own (local storage), or to S3 when `env` says STORAGE=s3 (see s3rver.ts).

export interface TestService {
  app: FastifyInstance;
  db: Db;
  config: Readonly<Config>;
  storage: Storage;
  runner: Runner;
  engine: 'pglite' | 'postgres';
  newOrg(name?: string): Promise<string>;
  call<T = any>(method: InjectOptions['method'], url: string, key: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Runs the worker until nothing is ready, then returns the import. */
  settle<T = any>(importId: string, key: string): Promise<T>;
  close(): Promise<void>;
}

// Worker errors are printed: a test that waits on an import should show why it never finished.
const silent = { info() {}, warn() {}, error: (o: object, msg?: string) => console.error(msg, o) };

async function openTestDb(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const blob = new Blob([fs.readFileSync(inject('pgliteTemplate'))]);
    const db = await openPglite(undefined, { loadDataDir: blob });
    return { db, drop: async () => {} };
  }
  const scratch = await createScratchDatabase(inject('templateDb'));
  const db = await openPostgres(scratch.url, { max: 5 });
  return { db, drop: scratch.drop };
}

/** A new database on the DATABASE_URL server (from a template, or empty), dropped by `drop`. */
export async function createScratchDatabase(template?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL!;
  const name = `imports_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export async function startService(env: Record<string, string> = {}, opts: { logger?: object } = {}): Promise<TestService> {
  const { db, drop } = await openTestDb();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-test-data-'));
  // Tests fire requests faster than any client should; the rate limit has a test of its own.
  const config = loadConfig({ DATA_DIR: dataDir, DEMO_ORG: 'false', RATE_LIMIT_PER_MINUTE: '0', ...env });
  const storage = storageFromConfig(config);
  const runner = new Runner({ db, config, storage, log: silent });
  let app: FastifyInstance;
  try {
    app = await buildApp({ db, config, storage, ...(opts.logger ? { logger: opts.logger } : {}) });
    await app.ready();
  } catch (err) {
    // A suite whose setup fails never calls close(): leave no database or directory behind.
    await db.close();
    await drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const call: TestService['call'] = async (method, url, key, body) => {
    const res = await app.inject({
      method,
      url,
      headers: key ? { authorization: `Bearer ${key}` } : {},
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
    const text = res.body;
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.statusCode, body: parsed as any };
  };
  return {
    app,
    db,
    config,
    storage,
    runner,
    engine: db.engine,
    async newOrg(name = 'Test org') {
      return (await createOrganizationWithKey(db, name)).api_key;
    },
    call,
    async settle(importId, key) {
      await runner.drain();
      const res = await call('GET', `/v1/imports/${importId}`, key);
      return res.body;
    },
    async close() {
      await app.close();
      await db.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sum check of SPEC §7. */
export function statsAddUp(s: Stats): boolean {
  return s.total === s.created + s.updated + s.unchanged + s.deleted + s.duplicates + s.errors + (s.unprocessed ?? 0);
}
