// The pipeline at a glance: the seven phases, in order (SPEC §6). `upload` phases run in the
// request for sync imports and in the worker for async ones; the rest always run in the worker.

export const PHASES = [
  { name: 'prevalidation', mode: 'upload' },
  { name: 'preparsing', mode: 'upload' },
  { name: 'transforming', mode: 'async' },
  { name: 'parsing', mode: 'async' },
  { name: 'validation', mode: 'async' },
  { name: 'processing', mode: 'async' },
  { name: 'cleanup', mode: 'async' },
] as const;

export type PhaseName = (typeof PHASES)[number]['name'];
export type PhaseStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

export function phaseMode(position: number, uploadMode: 'sync' | 'async'): 'sync' | 'async' {
  const p = PHASES[position];
  if (!p) throw new Error(`no phase at position ${position}`);
  return p.mode === 'upload' ? uploadMode : 'async';
}
