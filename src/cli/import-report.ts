import { setTimeout as sleep } from 'node:timers/promises';
import { csvRecord } from '../files/writers/csv-stream.js';
import type { ApiClient } from './api-client.js';
import { isTty, line, paint, printJson, printTable, when } from './output.js';
import { FINAL_STATUSES, phaseView, type ImportJson } from './progress.js';

// How the CLI shows an import: following it to the end, its outcome, its phases, its row errors.

export interface RowError {
  row: number;
  line?: number;
  phase: string;
  code: string;
  field: string | null;
  message: string;
  data: Record<string, unknown> | null;
}

/** Exit status of a watched import: 0 only for completed. */
export const exitFor = (status: string): number => (status === 'completed' ? 0 : status === 'failed' ? 1 : 3);

/** Polls the import until it is final, showing its phases; Ctrl-C stops watching only. */
export async function follow(api: ApiClient, id: string, json: boolean): Promise<number> {
  const view = phaseView(json);
  const stop = new AbortController();
  const onInt = () => stop.abort();
  process.once('SIGINT', onInt);
  let imp: ImportJson;
  try {
    for (;;) {
      imp = await api.get<ImportJson>(`/v1/imports/${id}`);
      view.update(imp);
      if (FINAL_STATUSES.has(imp.status)) break;
      try {
        await sleep(500, undefined, { signal: stop.signal });
      } catch {
        view.stop();
        process.stderr.write(`\nStopped watching. Import ${id} was not cancelled: it continues on the server.\n  watch again: npm run cli -- imports watch ${id}\n  cancel it:   npm run cli -- imports cancel ${id}\n`);
        return 130;
      }
    }
  } finally {
    process.off('SIGINT', onInt);
  }
  view.stop();
  const errors: RowError[] = [];
  if (imp.stats.errors + imp.stats.duplicates > 0) {
    for await (const e of api.all<RowError>(`/v1/imports/${id}/errors`, {}, 10)) errors.push(e);
  }
  if (json) printJson({ ...imp, first_errors: errors });
  else {
    line();
    printOutcome(imp);
    if (errors.length) {
      line();
      line(`first row errors (all of them: npm run cli -- imports errors ${id}):`);
      printErrors(errors);
    }
  }
  return exitFor(imp.status);
}

function printOutcome(imp: ImportJson): void {
  const s = imp.stats;
  const colour = imp.status === 'completed' ? 'green' : 'red';
  line(`${paint(['bold', colour], imp.status)}  import ${imp.id}${imp.dry_run ? ' (dry run)' : ''}${imp.reason ? `: ${imp.reason}` : ''}`);
  // A dry run's stats are a forecast: say so, and where its would-be changes are.
  if (imp.dry_run) line(`${paint('yellow', 'dry run')}: nothing was changed. A real run of this file would do:`);
  line(
    `rows ${s.total}: created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}, deleted ${s.deleted}, ` +
      `overwritten ${s.overwritten}, duplicates ${s.duplicates}, errors ${s.errors}; events ${s.events}`,
  );
  if (imp.dry_run && imp.status === 'completed') {
    line(`the would-be changes, record by record: npm run cli -- imports changes ${imp.id}`);
    line(`every row's forecast outcome:           npm run cli -- imports download ${imp.id} results`);
  }
}

export function printImport(imp: ImportJson): void {
  line(`import ${imp.id}${imp.name ? ` "${imp.name}"` : ''}: ${imp.resource} ${imp.action}, created ${when(imp.created_at)}`);
  if (typeof imp.reverts === 'string') line(`reverts ${imp.reverts}`);
  if (typeof imp.reverted_by === 'string') line(`reverted by ${imp.reverted_by}`);
  printOutcome(imp);
  printTable(
    ['phase', 'status', 'total', 'processed', 'ok', 'removed'],
    imp.phases.map((p) => [p.name, p.status, p.total, p.processed, p.success, p.error]),
  );
}

export function printErrors(errors: RowError[]): void {
  printTable(
    ['row', 'line', 'phase', 'code', 'field', 'message'],
    // Long messages are cut on a terminal only, to keep the table readable; a pipe gets them whole.
    errors.map((e) => [e.row, e.line ?? e.row + 1, e.phase, e.code, e.field, isTty() && e.message.length > 100 ? `${e.message.slice(0, 99)}…` : e.message]),
  );
}

export function errorsCsv(errors: RowError[]): string {
  // Cells formatted (quoted, formula-neutralised) as in the service's own CSV downloads.
  let out = `${csvRecord(['row', 'line', 'phase', 'code', 'field', 'message', 'data'])}
`;
  for (const e of errors) out += `${csvRecord([e.row, e.line ?? e.row + 1, e.phase, e.code, e.field, e.message, e.data])}
`;
  return out;
}
