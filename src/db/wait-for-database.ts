// Opening the database when it may not be up yet. A worker (or API) started while PostgreSQL
// is down, restarting or still starting waits for it — a log line per attempt, backing off to
// 15 s — instead of exiting: an orchestrator starting everything at once, or a database
// restart, must not leave the service without workers. Anything that is not "cannot reach the
// server" (a wrong password, a missing database, a failed migration) still stops the start.

import type { Db } from './db.js';

// Node's socket errors, and PostgreSQL's "cannot connect now" (57P03: starting up or shutting
// down) and connection-exception class 08.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P03']);

export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && (UNREACHABLE.has(code) || code.startsWith('08'))) return true;
  // pg reports a server that closed the socket during start-up this way, without a code.
  return err instanceof Error && /Connection terminated unexpectedly|connect ECONNREFUSED/.test(err.message);
}

export interface WaitLog {
  warn(obj: object, msg: string): void;
}

export async function openWhenReachable<T extends Db>(
  open: () => Promise<T>,
  log: WaitLog,
  opts: { firstDelayMs?: number; maxDelayMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<T> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delay = opts.firstDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      log.warn({ attempt, retry_in_ms: delay, err: (err as Error).message }, 'database unreachable; waiting for it');
      await sleep(delay);
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 15_000);
    }
  }
}
