import type { Command } from 'commander';
import { cellText, client, opts, positiveInt } from './command-context.js';
import { line, printJson, printTable } from './output.js';

// `records …`: the organization's records, through the HTTP API.

export function recordCommands(program: Command): void {
  program
    .command('records')
    .description("the organization's records")
    .command('list')
    .argument('<resource>', 'contact, group, item, asset or location')
    .option('--external-id <id>', 'only the record with this external_id')
    .option('--limit <n>', 'how many', (v) => positiveInt(v, '--limit'), 20)
    .action(async (resource: string, o: { externalId?: string; limit: number }, cmd: Command) => {
      const api = client(cmd);
      const rows: Record<string, unknown>[] = [];
      // The filter is sent to the API, and applied here too, so the answer is right whether
      // or not the server filters.
      for await (const r of api.all<Record<string, unknown>>(`/v1/resources/${encodeURIComponent(resource)}/records`, { external_id: o.externalId }, o.externalId ? Infinity : o.limit)) {
        if (o.externalId !== undefined && r.external_id !== o.externalId) continue;
        rows.push(r);
        if (rows.length >= o.limit) break;
      }
      if (opts(cmd).json) return printJson(rows);
      if (rows.length === 0) return line('no records');
      const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => c !== 'organization_id' && c !== 'object');
      printTable(columns, rows.map((r) => columns.map((c) => cellText(r[c]))));
    });
}
