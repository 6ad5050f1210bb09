import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import { ImportFailure } from '../errors.js';
import type { ImportRecord } from '../domain/import.js';
import type { Logger } from '../logger.js';
import { isConnectionError } from '../db/db.js';
import { endImport, releaseWorkingRows, type Ending } from '../lifecycle/end-import.js';
import { fence, LostLease, Released } from '../lifecycle/fencing.js';
import { claimNext, FINAL_STATUS_SQL, failureCount, release, renewLease, requeue } from '../lifecycle/transitions.js';
import { runImport, type RunDeps } from '../pipeline/run-import.js';
import { VACUUM_AFTER_ROWS, vacuumWorkingRows } from '../staging/working-rows.js';
import { runFileSweeps } from './file-sweeps.js';
import { dropAbandonedWorkingRows, timeOutStaleImports } from './lifecycle-sweeps.js';
import { deliverDueWebhooks } from './webhook-delivery.js';

// The worker loop: claim, run with a heartbeat, repeat. Runs in-process under `npm start` and
// alone under `npm run worker`; any number of them can share one Postgres.

export type { Logger } from '../logger.js';

/** How often a worker loop runs the sweeps (time-outs, abandoned rows, upload expiry, retention). */
const SWEEP_MS = 15_000;

export class Runner {
  readonly id = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private stopping = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private sweepLoop: Promise<void> | null = null;
  private webhookLoop: Promise<void> | null = null;
  private wakeSweeps: (() => void) | null = null;
  private readonly deps: RunDeps & { db: Db; config: Readonly<Config>; log: Logger };

  constructor(deps: RunDeps & { db: Db; config: Readonly<Config>; log: Logger }) {
    this.deps = { ...deps, shouldStop: () => this.stopping };
  }

  start(): void {
    if (!this.loop) this.loop = this.run();
    // Sweeps run beside the claim loop, not in it: a long sweep never delays the next claim,
    // and a worker that always has work still sweeps.
    if (!this.sweepLoop) this.sweepLoop = this.sweepEvery(SWEEP_MS);
    // Webhook deliveries beside both: a slow receiver never holds up an import.
    if (!this.webhookLoop) this.webhookLoop = this.deliverEvery(this.deps.config.worker.pollMs);
  }

  /** Sends the webhook deliveries that are due now; returns how many were attempted. For tests and the loop. */
  deliverWebhooks(): Promise<number> {
    return deliverDueWebhooks(this.deps);
  }

  private async deliverEvery(ms: number): Promise<void> {
    while (!this.stopping) {
      try {
        await this.deliverWebhooks();
      } catch (err) {
        this.deps.log.error({ err }, 'webhook delivery failed; trying again shortly');
      }
      if (!this.stopping) await new Promise((r) => setTimeout(r, ms));
    }
  }

  /** Wakes an idle loop now (a new import was queued in this process). */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.poke();
    this.wakeSweeps?.();
    await Promise.all([this.loop, this.sweepLoop, this.webhookLoop]);
  }

  /** Claims and runs imports until none is ready; returns how many ran. For tests and the CLI. */
  async drain(): Promise<number> {
    let n = 0;
    for (let imp = await this.claim(); imp; imp = await this.claim()) {
      await this.execute(imp);
      n++;
    }
    return n;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let ran = 0;
      try {
        ran = await this.drain();
      } catch (err) {
        this.deps.log.error({ err }, 'worker loop error; retrying after the poll interval');
      }
      if (ran === 0 && !this.stopping) await this.sleep(this.deps.config.worker.pollMs);
    }
  }

  /** Runs every sweep now; the sweep loop calls this every SWEEP_MS. All are idempotent and safe to race. */
  async sweeps(): Promise<void> {
    const { db, config, log, storage } = this.deps;
    const timedOut = await timeOutStaleImports(db, config.worker.processingTimeoutSeconds, storage);
    if (timedOut.length > 0) log.warn({ imports: timedOut }, 'imports timed out');
    await dropAbandonedWorkingRows(db, 2 * config.worker.leaseSeconds, storage);
    await runFileSweeps(db, storage, config.ttl.retentionDays);
  }

  private async sweepEvery(ms: number): Promise<void> {
    while (!this.stopping) {
      try {
        await this.sweeps();
      } catch (err) {
        this.deps.log.error({ err }, 'sweep failed; trying again at the next one');
      }
      if (this.stopping) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        this.wakeSweeps = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private claim(): Promise<ImportRecord | null> {
    if (this.stopping) return Promise.resolve(null);
    return claimNext(this.deps.db, this.id, this.deps.config.worker.leaseSeconds);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async execute(imp: ImportRecord): Promise<void> {
    const { db, config, log } = this.deps;
    const lease = config.worker.leaseSeconds;
    const heartbeat = setInterval(() => {
      renewLease(db, imp, lease).catch((err: unknown) => log.warn({ err, import: imp.id }, 'lease renewal failed'));
    }, Math.max(1000, (lease * 1000) / 3));
    try {
      // A takeover counts as a failure (the attempt before it died without a result): a file
      // that kills its worker ends failed after WORKER_MAX_FAILURES instead of forever.
      const failures = await failureCount(db, imp.id);
      if (failures >= config.worker.maxFailures) {
        log.error({ import: imp.id, attempt: imp.attempt, failures }, 'import ended: too many attempts ended without a result');
        await this.end(imp, { status: 'failed', failure: new ImportFailure('internal_error', `gave up after ${failures} attempts that ended without a result`) });
      } else {
        await runImport(this.deps, imp);
      }
    } catch (err) {
      await this.handleFailure(imp, err);
    } finally {
      clearInterval(heartbeat);
    }
    await this.reclaimWorkingRows(imp);
  }

  /** After a large import has ended (and its working rows were dropped), see vacuumWorkingRows. */
  private async reclaimWorkingRows(imp: ImportRecord): Promise<void> {
    const { db, log } = this.deps;
    try {
      const res = await db.query<{ staged: number }>(
        `SELECT p.total AS staged FROM imports i JOIN import_phases p ON p.import_id = i.id AND p.position = 0
         WHERE i.id = $1 AND i.status IN ${FINAL_STATUS_SQL}`,
        [imp.id],
      );
      if ((res.rows[0]?.staged ?? 0) >= VACUUM_AFTER_ROWS) await vacuumWorkingRows(db);
    } catch (err) {
      // Housekeeping: the import itself is done either way.
      log.warn({ err, import: imp.id }, 'vacuuming the working tables failed');
    }
  }

  private async handleFailure(imp: ImportRecord, err: unknown): Promise<void> {
    const { db, log } = this.deps;
    if (err instanceof Released) {
      await release(db, imp);
      log.info({ import: imp.id }, err.message);
      return;
    }
    if (isConnectionError(err)) {
      // The database went away. Nothing is committed half-way; once it is back, this worker
      // (its pool reconnects) or another takes the import over when the lease runs out.
      log.warn({ err, import: imp.id }, 'database unavailable; the import will be resumed when its lease expires');
      return;
    }
    if (err instanceof LostLease) {
      log.warn({ import: imp.id, attempt: imp.attempt }, err.message);
      await releaseWorkingRows(db, imp.id, this.deps.storage);
      return;
    }
    if (err instanceof ImportFailure) {
      await this.end(imp, { status: 'failed', failure: err });
      return;
    }
    const failures = (await failureCount(db, imp.id)) + 1;
    log.error({ err, import: imp.id, attempt: imp.attempt, failures }, 'import run failed');
    if (failures >= this.deps.config.worker.maxFailures) {
      await this.end(imp, { status: 'failed', failure: new ImportFailure('internal_error', `gave up after ${failures} failed attempts`) });
      return;
    }
    await requeue(db, imp, Math.min(60, 2 ** failures));
  }

  /** Ends an import this worker holds (fenced: a canceled or taken-over import stays as it is). */
  private async end(imp: ImportRecord, ending: Ending): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      await fence(tx, imp);
      await endImport(tx, imp.id, ending, { storage: this.deps.storage, rows: 'here' });
    });
  }
}
