// A phase's states. The phases themselves — their names, order and modes, and what runs each —
// are one list: src/pipeline/phase-list.ts.

export type PhaseStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

/** What `import_phases` holds of each phase, in order, for a new import (lifecycle/transitions.ts insertImport). */
export interface PhaseRow {
  name: string;
  mode: 'sync' | 'async';
}
