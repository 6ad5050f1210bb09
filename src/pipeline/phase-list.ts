import type { PhaseRow } from '../domain/phases.js';
import { cleanup } from './cleanup.js';
import { parsing } from './parsing.js';
import type { PhaseDefinition } from './phase.js';
import { preparsing } from './preparsing.js';
import { prevalidateUpload } from './prevalidate-upload.js';
import { processing } from './processing.js';
import { transforming } from './transforming.js';
import { validation } from './validation.js';
import { applyRevert, checkRevert, finishRevert, skipForRevert, stageRevert } from './revert-phases.js';
import type { ImportRecord } from '../domain/import.js';

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

// A revert (issue 16) is an import whose rows are the records another import changed, read
// from that import's events rather than from a file. Rather than teaching each of the seven
// phases a second meaning, a revert has its own list: the same names and modes in the same
// order (so its phase rows, the public phase enum and everything reading them are the same),
// each run by what a revert needs there (revert-phases.ts says what each does). The runner
// takes the list from phasesFor and, as before, never looks at a name.
export const REVERT_PHASES = [
  { name: 'prevalidation', mode: 'upload', commits: 'whole', run: stageRevert },
  { name: 'preparsing', mode: 'upload', commits: 'whole', run: skipForRevert },
  { name: 'transforming', mode: 'async', commits: 'whole', run: skipForRevert },
  { name: 'parsing', mode: 'async', commits: 'whole', run: skipForRevert },
  { name: 'validation', mode: 'async', commits: 'whole', run: checkRevert },
  { name: 'processing', mode: 'async', commits: 'whole', run: applyRevert },
  { name: 'cleanup', mode: 'async', commits: 'whole', run: finishRevert, writesDownloads: true },
] as const satisfies readonly (PhaseDefinition & { name: PhaseName; mode: 'upload' | 'async' })[];

// The two lists must agree name for name and mode for mode; a mismatch fails the type check.
type SameShape<A, B> = { [K in keyof A]: K extends keyof B ? (A[K] extends { name: infer N; mode: infer M } ? { name: N; mode: M } : never) : never };
const _revertListMatches: SameShape<typeof REVERT_PHASES, typeof PHASES> extends SameShape<typeof PHASES, typeof REVERT_PHASES> ? true : never = true;
void _revertListMatches;

/** The phases an import runs: a revert's, or every other import's. */
export function phasesFor(imp: Pick<ImportRecord, 'reverts'>): readonly (PhaseDefinition & { name: PhaseName })[] {
  return imp.reverts ? REVERT_PHASES : PHASES;
}

export function phaseMode(position: number, uploadMode: 'sync' | 'async'): 'sync' | 'async' {
  const p = PHASES[position];
  if (!p) throw new Error(`no phase at position ${position}`);
  return p.mode === 'upload' ? uploadMode : 'async';
}

/** The phase rows a new import starts with. */
export function phaseRows(uploadMode: 'sync' | 'async'): PhaseRow[] {
  return PHASES.map((p, n) => ({ name: p.name, mode: phaseMode(n, uploadMode) }));
}
