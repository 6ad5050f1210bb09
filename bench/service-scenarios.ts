import pg from 'pg';
import { openPostgres } from '../src/db/pg.js';
import { migrate } from '../src/db/migrate.js';
import { createOrganizationWithKey } from '../src/tenancy/api-keys.js';
import { Client } from './client.js';
import { locationRows } from './data.js';
import { freePort, startProcess, waitFor, type Proc } from './processes.js';
import { ProgressWatch } from './progress-watch.js';

// The service on a Postgres server: an API process and a separate worker process (so the
// worker's peak memory is its own), each scenario a full async import: create → upload → done.

export interface ServiceResult {
  scenario: string;
  ms: number;
  workerPeakMb: number;
  phasesMs: Record<string, number>;
  stats: Record<string, number>;
  status: string;
  /** What a client polling every 100 ms saw of the phases' progress. */
  progress: ProgressWatch;
}

async function phaseTimes(url: string, importId: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query<{ name: string; ms: number }>(
      `SELECT name, (extract(epoch FROM completed_at - started_at) * 1000)::float8 AS ms FROM import_phases WHERE import_id = $1 ORDER BY position`,
      [importId],
    );
    return Object.fromEntries(res.rows.map((r) => [r.name, Math.round(r.ms)]));
  } finally {
    await c.end();
  }
}

export class ServiceBench {
  private api!: Proc;
  private base!: string;

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    const db = await openPostgres(this.url, { max: 1 });
    await migrate(db);
    await db.close();
    const port = await freePort();
    this.api = startProcess('serve', { DATABASE_URL: this.url, PORT: String(port), RUN_WORKER: 'false', DEMO_ORG: 'false' });
    this.base = `http://127.0.0.1:${port}`;
    await waitFor('the API', () => this.api.out().includes('Imports API on'), 60_000);
  }

  async stop(): Promise<void> {
    await this.api?.stop();
  }

  /** A new organization with the benchmark's locations, optionally pre-filled with `prefill`. */
  async organization(prefill?: string): Promise<Client> {
    const db = await openPostgres(this.url, { max: 1 });
    const { api_key } = await createOrganizationWithKey(db, 'bench');
    await db.close();
    const client = new Client(this.base, api_key);
    await this.withWorker(async () => {
      await client.syncImport('location', locationRows());
      if (prefill) await client.asyncImport('contact', prefill, 'merge');
    });
    return client;
  }

  async run(scenario: string, client: Client, file: string, action: 'merge' | 'overwrite'): Promise<ServiceResult> {
    let imp: any;
    let ms = 0;
    const progress = new ProgressWatch();
    const workerPeakMb = await this.withWorker(async () => {
      const t = performance.now();
      imp = await client.asyncImport('contact', file, action, action === 'overwrite' ? { allow_mass_delete: true } : {}, (i) => progress.see(i));
      ms = performance.now() - t;
    });
    return { scenario, ms, workerPeakMb, phasesMs: await phaseTimes(this.url, imp.id), stats: imp.stats, status: imp.status, progress };
  }

  /** Runs `fn` with a fresh worker process; returns that worker's peak RSS in MB. */
  private async withWorker(fn: () => Promise<void>): Promise<number> {
    const worker = startProcess('worker', { DATABASE_URL: this.url, WORKER_POLL_MS: '50', LOG_LEVEL: 'info' });
    try {
      // Process start-up (loading the code) is not part of an import's time.
      await waitFor('the worker', () => worker.out().includes('worker started'), 60_000);
      await fn();
      return worker.peakRssMb();
    } finally {
      await worker.stop();
    }
  }
}
