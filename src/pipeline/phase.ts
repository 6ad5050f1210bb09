import type { Config } from '../config.js';
import type { Queryable } from '../db/db.js';
import type { ImportRecord, Stats } from '../domain/import.js';
import type { ResourceDefinition } from '../resources/resource.js';

/** What a phase gets: the transaction its effect and its completion commit in together. */
export interface PhaseContext {
  tx: Queryable;
  imp: ImportRecord;
  def: ResourceDefinition;
  config: Readonly<Config>;
}

export interface PhaseOutcome {
  /** Rows in. */
  total: number;
  /** Rows this phase removed (each now has its row error). */
  error: number;
  /** Counters this phase sets on the import's stats. */
  stats?: Partial<Stats>;
  /** The phase had nothing to do for this action. */
  skipped?: boolean;
  /** Why a completed import did less than asked (e.g. a refused mass delete); ends up in `reason`. */
  reason?: string;
}

export type Phase = (ctx: PhaseContext) => Promise<PhaseOutcome>;
