import type { Import, ImportStatus, Phase } from '../api/client';

// How an import's state reads at a glance: a status badge, and the phase bar of a running one.

const STATUS_TEXT: Record<ImportStatus, string> = {
  requested: 'requested',
  queued: 'queued',
  processing: 'processing',
  completed: 'completed',
  failed: 'failed',
  timed_out: 'timed out',
  expired: 'expired',
};

export function StatusBadge({ imp }: { imp: Pick<Import, 'status' | 'reason'> & { awaiting_start?: boolean } }) {
  const warned = imp.status === 'completed' && imp.reason;
  const text = imp.awaiting_start ? 'awaiting review' : STATUS_TEXT[imp.status];
  return (
    <span className={`badge badge-${warned ? 'warning' : imp.awaiting_start ? 'review' : imp.status}`} title={imp.reason ?? undefined}>
      {text}
      {warned ? ' (with warning)' : ''}
    </span>
  );
}

/** The phase running now (or the last one that ran), for one-line progress. */
export function currentPhase(phases: readonly Phase[]): Phase | null {
  return phases.find((p) => p.status === 'running') ?? [...phases].reverse().find((p) => p.status !== 'pending') ?? null;
}

export function PhaseProgress({ phase, label }: { phase: Phase; label: string }) {
  const done = phase.status === 'completed' || phase.status === 'skipped';
  const max = Math.max(phase.total, 1);
  const value = done ? max : Math.min(phase.processed, max);
  // An indeterminate bar while a phase has not counted its rows yet.
  const indeterminate = phase.status === 'running' && phase.total === 0;
  return indeterminate ? <progress aria-label={label} /> : <progress aria-label={label} value={value} max={max} />;
}

/** The one-line progress of an import in the list: which phase, how far. */
export function ImportProgress({ imp }: { imp: Import }) {
  const phase = currentPhase(imp.phases);
  if (imp.status === 'requested' || imp.status === 'queued' || !phase) return <span className="muted">{imp.status === 'queued' ? 'waiting for a worker' : '—'}</span>;
  if (imp.status !== 'processing') return <span className="muted">{imp.phases.filter((p) => p.status === 'completed').length} / 7 phases</span>;
  const index = imp.phases.indexOf(phase) + 1;
  return (
    <div className="phase-cell">
      <small>
        {index}/7 {phase.name} · {phase.processed.toLocaleString()} / {phase.total.toLocaleString()}
      </small>
      <PhaseProgress phase={phase} label={`Phase ${index} of 7, ${phase.name}`} />
    </div>
  );
}

export function time(epochSeconds: number | null | undefined): string {
  if (!epochSeconds) return '—';
  return new Date(epochSeconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The mark of a dry run (in the list and on its page): it changed nothing. */
export function DryRunBadge({ imp }: { imp: Pick<Import, 'dry_run'> }) {
  if (!imp.dry_run) return null;
  return (
    <span className="badge badge-dry-run" title="Dry run — nothing was changed">
      dry run
    </span>
  );
}
