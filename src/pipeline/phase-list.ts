import type { PhaseRow } from '../domain/phases.js';
import { cleanup } from './cleanup.js';
import { parsing } from './parsing.js';
import type { PhaseDefinition } from './phase.js';
import { preparsing } from './preparsing.js';
import { prevalidateUpload } from './prevalidate-upload.js';
import { processing } from './processing.js';
import { transforming } from './transforming.js';
import { validation } from './validation.js';

// The pipeline at a glance: the seven phases, in order (SPEC §6), each with what runs it and how
// it commits (phase.ts, PhaseDefinition). `upload` phases run in the request for sync imports and
// in the worker for async ones; the rest always run in the worker. The runner, the import's
// phase rows, the public enum of phase names: everything reads this one list. Adding a phase =
// a line here and its file.
export const PHASES = [
  { name: 'prevalidation', mode: 'upload', commits: 'batches', run: prevalidateUpload },
  { name: 'preparsing', mode: 'upload', commits: 'ranges', run: preparsing },
  { name: 'transforming', mode: 'async', commits: 'ranges', run: transforming },
  { name: 'parsing', mode: 'async', commits: 'ranges', run: parsing },
  { name: 'validation', mode: 'async', commits: 'ranges', run: validation },
  { name: 'processing', mode: 'async', commits: 'ranges', run: processing },
  { name: 'cleanup', mode: 'async', commits: 'whole', run: cleanup, writesDownloads: true },
] as const satisfies readonly (PhaseDefinition & { name: string; mode: 'upload' | 'async' })[];

export type PhaseName = (typeof PHASES)[number]['name'];

export function phaseMode(position: number, uploadMode: 'sync' | 'async'): 'sync' | 'async' {
  const p = PHASES[position];
  if (!p) throw new Error(`no phase at position ${position}`);
  return p.mode === 'upload' ? uploadMode : 'async';
}

/** The phase rows a new import starts with. */
export function phaseRows(uploadMode: 'sync' | 'async'): PhaseRow[] {
  return PHASES.map((p, n) => ({ name: p.name, mode: phaseMode(n, uploadMode) }));
}
