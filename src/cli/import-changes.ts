import { Option, type Command } from 'commander';
import { client, opts, positiveInt } from './command-context.js';
import { isTty, line, printJson, printTable } from './output.js';

// `imports changes ID`: what an import changed, record by record — or, for a dry run, what it
// would change (GET /v1/imports/{id}/changes).

interface Change {
  id: string;
  change: 'created' | 'updated' | 'deleted';
  resource: string;
  record_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** The fields an update changes, as `field: old → new`; a created or deleted record's external_id. */
function summary(c: Change): string {
  if (c.change !== 'updated') return `external_id ${JSON.stringify((c.after ?? c.before)?.external_id ?? null)}`;
  const keys = new Set([...Object.keys(c.before ?? {}), ...Object.keys(c.after ?? {})]);
  const diff = [...keys]
    .filter((k) => JSON.stringify(c.before?.[k] ?? null) !== JSON.stringify(c.after?.[k] ?? null))
    .map((k) => `${k}: ${JSON.stringify(c.before?.[k] ?? null)} → ${JSON.stringify(c.after?.[k] ?? null)}`)
    .join('; ');
  // Long diffs are cut on a terminal only; a pipe (or --json) gets them whole.
  return isTty() && diff.length > 120 ? `${diff.slice(0, 119)}…` : diff;
}

export function changesCommand(imports: Command): void {
  imports
    .command('changes')
    .description("an import's record changes (a dry run's: what a real run would change), with before and after")
    .argument('<id>')
    .addOption(new Option('--change <kind>', 'only these changes').choices(['created', 'updated', 'deleted']))
    .option('--limit <n>', 'at most this many (default: 50 in a table, all with --json)', (v) => positiveInt(v, '--limit'))
    .action(async (id: string, o: { change?: string; limit?: number }, cmd: Command) => {
      const api = client(cmd);
      const json = !!opts(cmd).json;
      const imp = await api.get<{ dry_run?: boolean; status: string }>(`/v1/imports/${id}`);
      const changes: Change[] = [];
      for await (const c of api.all<Change>(`/v1/imports/${id}/changes`, { change: o.change }, o.limit ?? (json ? Infinity : 50))) changes.push(c);
      if (json) return printJson(changes);
      if (imp.dry_run) line(`dry run ${id}: nothing was changed; a real run would make these changes.`);
      if (changes.length === 0) return line(o.change ? `no ${o.change} records` : 'no changes');
      printTable(
        ['change', 'resource', 'record_id', 'what'],
        changes.map((c) => [c.change, c.resource, c.record_id, summary(c)]),
      );
    });
}
