import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from './client.js';
import { locationRows } from './data.js';
import { freePort, startProcess, waitFor } from './processes.js';
import { ProgressWatch } from './progress-watch.js';

// Embedded mode, as `npm start` runs it: PGlite, API and worker in one process. Measures import
// throughput, the API's latency while an import runs, and the latency of small sync creates.

export interface EmbeddedResult {
  rows: number;
  ms: number;
  getP50: number;
  getP99: number;
  getSamples: number;
  syncP50: number;
  syncP99: number;
  /** Peak resident memory of the service (started on its initialized directory) until the import ends. */
  peakMb: number;
  /** What the GET probe saw of the phases' progress. */
  progress: ProgressWatch;
  /**
   * Peak resident memory of the first start, on a fresh data directory: PGlite's initdb and the
   * migrations (~950 MB here), which the earlier "peak RSS" of this row was really measuring.
   */
  startPeakMb: number;
  /** Seconds per phase (the API's phase times are whole epoch seconds). */
  phasesS: Record<string, number>;
  /** The process's resident memory, the most seen while each phase ran (sampled with each GET). */
  rssMbByPhase: Record<string, number>;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

export async function embeddedBench(file: string, rows: number): Promise<EmbeddedResult> {
  // A fresh data directory every run (no demo organization of an earlier run), and no
  // DATABASE_URL from this shell: with it the "embedded" service ran on PostgreSQL (issue 19).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-bench-'));
  const port = await freePort();
  const env = {
    DATABASE_URL: undefined,
    DATA_DIR: dataDir,
    PORT: String(port),
    WORKER_POLL_MS: '50',
    RUN_WORKER: 'true',
    DEMO_ORG: 'true',
    STORAGE: 'local',
  };
  // The first start creates the database (PGlite's initdb, the migrations, the demo
  // organization) and the locations the contacts name. That start alone takes the process to
  // ~950 MB, which stays resident; a service a person runs was started on its directory
  // before. So the import runs in a second start on the same directory (~430 MB on opening).
  const first = startProcess('serve', env);
  let key: string;
  let startPeakMb: number;
  try {
    await waitFor('the embedded service', () => /API key: (sk_\S+)/.test(first.out()) && first.out().includes('Imports API on'), 120_000);
    // PGlite keeps its database under DATA_DIR/pg (src/db/open.ts): proof this row is embedded.
    if (!fs.existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))) throw new Error(`the embedded service did not open PGlite under ${dataDir}`);
    key = /API key: (sk_\S+)/.exec(first.out())![1]!;
    await new Client(`http://127.0.0.1:${port}`, key).syncImport('location', locationRows());
  } finally {
    startPeakMb = first.peakRssMb();
    await first.stop();
  }
  const proc = startProcess('serve', env);
  try {
    await waitFor('the embedded service, restarted', () => proc.out().includes('Imports API on'), 120_000);
    const client = new Client(`http://127.0.0.1:${port}`, key);

    const t = performance.now();
    const created = await client.request('POST', '/v1/imports', { resource: 'contact', action: 'merge', upload_mode: 'async' });
    const latencies: number[] = [];
    const progress = new ProgressWatch();
    const peakByPhase: Record<string, number> = {};
    let done = false;
    const probe = (async () => {
      while (!done) {
        const s = performance.now();
        const view = await client.request('GET', `/v1/imports/${created.id}`);
        latencies.push(performance.now() - s);
        progress.see(view);
        const running = (view.phases as { name: string; status: string }[]).find((p) => p.status === 'running')?.name ?? view.status;
        peakByPhase[running] = Math.max(peakByPhase[running] ?? 0, proc.rssMb());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // A failed GET ends the probe; it is reported (await probe, below) once the import has
    // ended, so that the service is still stopped: unhandled, it ended this process at once and
    // left the service running (seen once at a load average of 30: ECONNRESET).
    probe.catch(() => undefined);
    const put = await fetch(created._upload_url, { method: 'PUT', body: fs.readFileSync(file) });
    if (put.status >= 300) throw new Error(`upload → ${put.status}`);
    const imp = await client.wait(created.id);
    const ms = performance.now() - t;
    const peakMb = proc.peakRssMb();
    done = true;
    await probe;
    if (imp.status !== 'completed') throw new Error(`embedded import ended ${imp.status}: ${imp.reason}`);

    const sync: number[] = [];
    const data = Array.from({ length: 1000 }, (_, i) => ({ external_id: `S${i}`, name: `Sync ${i}`, email: `s${i}@example.com`, locations: `L${i % 100}` }));
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      const r = await client.request('POST', '/v1/imports', { resource: 'contact', action: 'merge', upload_mode: 'sync', data });
      sync.push(performance.now() - s);
      await client.wait(r.id, 20);
    }
    return {
      rows,
      ms,
      getP50: pct(latencies, 50),
      getP99: pct(latencies, 99),
      getSamples: latencies.length,
      syncP50: pct(sync, 50),
      syncP99: pct(sync, 99),
      peakMb,
      progress,
      startPeakMb,
      rssMbByPhase: peakByPhase,
      phasesS: Object.fromEntries(imp.phases.map((p: { name: string; started_at: number | null; completed_at: number | null }) => [p.name, (p.completed_at ?? 0) - (p.started_at ?? 0)])),
    };
  } finally {
    await proc.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
