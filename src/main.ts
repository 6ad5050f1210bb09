import pino from 'pino';
import { loadConfig, type Config } from './config.js';
import type { Db } from './db/db.js';
import { migrate } from './db/migrate.js';
import { openDb, type OpenedDb } from './db/open.js';
import { openWhenReachable, type WaitLog } from './db/wait-for-database.js';
import { loggerOptions } from './log-redaction.js';
import { storageFromConfig } from './storage/from-config.js';
import { runAdminCommand } from './tenancy/admin-commands.js';
import { countOrganizations, createOrganizationWithKey } from './tenancy/api-keys.js';
import { Runner } from './worker/runner.js';

// Composition root: config → db → storage → http and/or worker.

export interface Service {
  config: Readonly<Config>;
  db: Db;
  stop(): Promise<void>;
}

export function createLogger(config: Readonly<Config>) {
  return pino(loggerOptions(config.logLevel));
}

/**
 * Opens and migrates the database. A PostgreSQL server may not be up yet: it waits for it
 * (wait-for-database.ts). On the embedded one this process then owns DATA_DIR (or openDb threw
 * DataDirBusyError naming the owner), and answers the CLI's admin commands on its local socket.
 */
async function openMigrated(config: Readonly<Config>, log: WaitLog, role: string, port: number | null): Promise<OpenedDb> {
  const db = await openWhenReachable(async () => {
    const opened = await openDb(config, { role, port });
    try {
      await migrate(opened);
    } catch (err) {
      await opened.close().catch(() => undefined);
      throw err;
    }
    return opened;
  }, log);
  db.lock?.serve((req) => runAdminCommand(db, req));
  return db;
}

/** API server (and, unless RUN_WORKER=false, the worker in the same process). */
export async function serve(config = loadConfig()): Promise<Service> {
  const log = createLogger(config);
  const db = await openMigrated(config, log, 'server', config.port);
  if (config.demoOrg && (await countOrganizations(db)) === 0) {
    const demo = await createOrganizationWithKey(db, 'Demo organization');
    // The key goes to the terminal once, never into the log.
    log.info({ organization_id: demo.organization_id, key_id: demo.key_id }, 'created a demo organization');
    process.stdout.write(`\nDemo organization ${demo.organization_id}\nAPI key: ${demo.api_key}\n  export API_KEY=${demo.api_key}\n\n`);
  }
  const storage = storageFromConfig(config);
  const withWorker = (process.env.RUN_WORKER ?? 'true') !== 'false';
  const runner = withWorker ? new Runner({ db, config, storage, log }) : null;
  // Loaded here, not at the top: a worker process (`work` below) never serves HTTP.
  const { buildApp } = await import('./http/app.js');
  const app = await buildApp({ db, config, storage, onQueued: () => runner?.poke(), logger: loggerOptions(config.logLevel) });
  await app.listen({ port: config.port, host: config.host });
  runner?.start();
  process.stdout.write(`Imports API on http://localhost:${config.port}  (dashboard: /, reference: /docs, OpenAPI: /openapi.json)\n`);
  return {
    config,
    db,
    async stop() {
      await app.close();
      await runner?.stop();
      await db.close();
    },
  };
}

/** A worker process alone (`npm run worker`). */
export async function work(config = loadConfig()): Promise<Service> {
  const log = createLogger(config);
  const db = await openMigrated(config, log, 'worker', null);
  const runner = new Runner({ db, config, storage: storageFromConfig(config), log });
  runner.start();
  log.info({ worker: runner.id }, 'worker started');
  return {
    config,
    db,
    async stop() {
      await runner.stop();
      await db.close();
    },
  };
}

/**
 * SIGTERM/SIGINT: stop claiming, let the running phase finish (its import goes back to the
 * queue), then exit. Past the grace period the process exits anyway; the phase's transaction
 * dies with the connection and rolls back, and the import is taken over when its lease expires.
 */
export function stopOnSignals(service: Service): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    const grace = service.config.worker.shutdownGraceSeconds;
    process.stderr.write(`${signal}: finishing the current phase (at most ${grace}s), then exiting\n`);
    setTimeout(() => {
      process.stderr.write('shutdown grace period over; exiting\n');
      process.exit(1);
    }, grace * 1000).unref();
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
