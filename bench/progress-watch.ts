// What a person watching an import sees of its progress: fed every answer of GET
// /v1/imports/{id} polled while it runs, keeps per phase the longest time its `processed` stood
// still while the phase was running (from the poll that first saw a value to the poll that saw
// the next one, or the phase end), and how many different values it took. The precision is
// the polling interval.

interface PhaseSnapshot {
  name: string;
  status: string;
  processed: number;
}

export interface PhaseWatch {
  /** Longest stretch, in ms, without `processed` moving while the phase ran. */
  stillMs: number;
  /** Distinct values of `processed` seen while it ran. */
  values: number;
}

export class ProgressWatch {
  private readonly seen = new Map<string, { value: number; at: number; values: Set<number> }>();
  readonly phases: Record<string, PhaseWatch> = {};

  see(imp: { phases: PhaseSnapshot[] }, at = performance.now()): void {
    for (const p of imp.phases) {
      const prev = this.seen.get(p.name);
      if (p.status === 'running') {
        if (!prev) {
          this.seen.set(p.name, { value: p.processed, at, values: new Set([p.processed]) });
        } else if (p.processed !== prev.value) {
          this.note(p.name, at - prev.at, prev.values.add(p.processed).size);
          prev.value = p.processed;
          prev.at = at;
        }
      } else if (prev) {
        this.note(p.name, at - prev.at, prev.values.size);
        this.seen.delete(p.name);
      }
    }
  }

  private note(name: string, ms: number, values: number): void {
    const w = (this.phases[name] ??= { stillMs: 0, values: 0 });
    w.stillMs = Math.max(w.stillMs, Math.round(ms));
    w.values = Math.max(w.values, values);
  }

  /** "phase still-ms (values)" for each phase seen running. */
  summary(): string {
    return Object.entries(this.phases)
      .map(([name, w]) => `${name} ${w.stillMs} (${w.values})`)
      .join(', ');
  }

  longestStillMs(): number {
    return Math.max(0, ...Object.values(this.phases).map((w) => w.stillMs));
  }
}
