import cliProgress from 'cli-progress';
import { bytes, isTty, line, paint } from './output.js';

// Live views of an upload and of an import's phases. On a terminal, cli-progress bars redrawn
// in place; anywhere else one plain line per change (a phase starting or ending, and progress
// at most every few seconds), so a log or CI shows what happened without a control code.

export interface PhaseJson {
  name: string;
  status: string;
  total: number;
  processed: number;
  success: number;
  error: number;
}

export interface ImportJson {
  id: string;
  status: string;
  resource: string;
  action: string;
  reason: string | null;
  phases: PhaseJson[];
  stats: { total: number; created: number; updated: number; unchanged: number; deleted: number; overwritten: number; duplicates: number; errors: number; events: number };
  name: string | null;
  created_at: number;
  _upload_url: string | null;
  /** A dry run: its stats are what a real run would do. */
  dry_run?: boolean;
  [k: string]: unknown;
}

export const FINAL_STATUSES = new Set(['completed', 'failed', 'timed_out', 'expired']);

const stamp = () => new Date().toISOString().slice(11, 19);

export interface UploadView {
  update(sent: number): void;
  stop(): void;
}

export function uploadView(file: string, size: number, quiet: boolean): UploadView {
  if (quiet) return { update() {}, stop() {} };
  if (!isTty()) {
    line(`${stamp()} uploading ${file} (${bytes(size)})`);
    let last = Date.now();
    return {
      update(sent) {
        if (Date.now() - last < 2000 || sent >= size) return;
        last = Date.now();
        line(`${stamp()} uploaded ${bytes(sent)} of ${bytes(size)}`);
      },
      stop() {
        line(`${stamp()} uploaded ${bytes(size)}`);
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `upload        ${paint('cyan', '{bar}')} {percentage}% {sent} of {size}`,
      barsize: 30,
      hideCursor: true,
      stream: process.stdout,
      emptyOnZero: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(size, 1), 0, { sent: bytes(0), size: bytes(size) });
  return {
    update(sent) {
      bar.update(sent, { sent: bytes(sent) });
    },
    stop() {
      bar.update(Math.max(size, 1), { sent: bytes(size) });
      bar.stop();
    },
  };
}

export interface PhaseView {
  update(imp: ImportJson): void;
  stop(): void;
}

const STATUS_STYLE: Record<string, Parameters<typeof paint>[0]> = {
  pending: 'gray',
  running: 'yellow',
  completed: 'green',
  skipped: 'gray',
  failed: 'red',
};

export function phaseView(quiet: boolean): PhaseView {
  if (quiet) return { update() {}, stop() {} };
  if (!isTty()) return plainPhaseView();
  const multi = new cliProgress.MultiBar(
    {
      format: '{name} {bar} {counts}  {status}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stdout,
      emptyOnZero: true,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  let header: cliProgress.SingleBar | null = null;
  return {
    update(imp) {
      const title = `import ${imp.id}  ${imp.resource} ${imp.action}  ${paint(imp.status === 'completed' ? 'green' : FINAL_STATUSES.has(imp.status) ? 'red' : 'yellow', imp.status)}`;
      if (!header) header = multi.create(1, 0, { title }, { format: '{title}' });
      else header.update(0, { title });
      for (const p of imp.phases) {
        const done = p.status === 'completed' || p.status === 'skipped';
        const total = Math.max(p.total, done ? 1 : 0);
        const value = done && p.total === 0 ? total : p.processed;
        const payload = {
          name: p.name.padEnd(13),
          counts: `${String(p.processed).padStart(7)}/${String(p.total).padEnd(7)} ok ${String(p.success).padEnd(7)} removed ${String(p.error).padEnd(6)}`,
          status: paint(STATUS_STYLE[p.status] ?? 'white', p.status),
        };
        const bar = bars.get(p.name);
        if (!bar) bars.set(p.name, multi.create(total, value, payload));
        else {
          bar.setTotal(total);
          bar.update(value, payload);
        }
      }
    },
    stop() {
      multi.stop();
    },
  };
}

function plainPhaseView(): PhaseView {
  let lastStatus = '';
  const seen = new Map<string, { status: string; processed: number; at: number }>();
  return {
    update(imp) {
      // A final status is said after the phases that led to it.
      const final = FINAL_STATUSES.has(imp.status);
      if (imp.status !== lastStatus && !final) {
        lastStatus = imp.status;
        line(`${stamp()} import ${imp.id} ${imp.status}`);
      }
      for (const p of imp.phases) {
        const prev = seen.get(p.name);
        const changed = !prev || prev.status !== p.status;
        const moved = prev && prev.processed !== p.processed && Date.now() - prev.at >= 2000;
        if (!changed && !moved) continue;
        if (!prev && p.status === 'pending') {
          seen.set(p.name, { status: p.status, processed: p.processed, at: 0 });
          continue;
        }
        seen.set(p.name, { status: p.status, processed: p.processed, at: Date.now() });
        line(`${stamp()} ${p.name} ${p.status} ${p.processed}/${p.total} ok ${p.success} removed ${p.error}`);
      }
      if (final && imp.status !== lastStatus) {
        lastStatus = imp.status;
        line(`${stamp()} import ${imp.id} ${imp.status}`);
      }
    },
    stop() {},
  };
}
