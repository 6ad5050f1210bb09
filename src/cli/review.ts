import { Option, type Command } from 'commander';
import type { ApiClient } from './api-client.js';
import { CliError, client, opts } from './command-context.js';
import { follow } from './import-report.js';
import { isTty, line, paint, printJson, printTable } from './output.js';
import type { ImportJson } from './progress.js';

// Review before running: `imports create … --review` uploads and shows the preview, `imports
// preview ID` shows it again, `imports start ID [--map field=Header …]` runs it. The preview is
// the API's (GET /v1/imports/{id}/preview); the CLI only lays it out.

export interface PreviewJson {
  object: 'import_preview';
  import_id: string;
  format: string;
  encoding: string | null;
  delimiter: string | null;
  headers: string[];
  rows: (string | null)[][];
  columns: { header: string; field: string | null; match: string | null }[];
  fields: { name: string; required_to_create: boolean; lookup_key: boolean; mapped_from: string | null }[];
  missing_required: string[];
  missing_lookup_keys: string[];
  existing_records: number;
  mass_delete_max_ratio: number;
}

const collect = (value: string, prev: string[]) => [...prev, value];

/** `--map field=Header` flags as { field: header }. */
export function mappingFlags(flags: readonly string[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const m of flags) {
    const eq = m.indexOf('=');
    if (eq <= 0 || eq === m.length - 1) throw new CliError(`--map ${m}: expected field=Header, e.g. --map email="E-mail address".`);
    mapping[m.slice(0, eq).trim()] = m.slice(eq + 1).trim();
  }
  return mapping;
}

export const getPreview = (api: ApiClient, id: string) => api.get<PreviewJson>(`/v1/imports/${id}/preview`);

const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };
const CELL = 40;
const cut = (s: string | null) => (s !== null && isTty() && s.length > CELL ? `${s.slice(0, CELL - 1)}…` : s);

/** The preview for a person: how each header maps, what is missing, the first rows. */
export function printPreview(p: PreviewJson, action?: string): void {
  const file = [p.format, p.encoding, p.delimiter ? `${DELIMITER_NAMES[p.delimiter] ?? p.delimiter}-separated` : null].filter(Boolean).join(', ');
  line(`import ${p.import_id} is waiting to start; its file: ${file}, ${p.headers.length} columns`);
  line();
  printTable(
    ['column', 'field', 'match'],
    p.columns.map((c) => [c.header, c.field ?? paint('yellow', '(ignored)'), c.match ?? '']),
  );
  line();
  line(p.missing_required.length ? paint(['bold', 'red'], `missing required fields: ${p.missing_required.join(', ')}`) : 'missing required fields: none');
  line(`lookup keys not mapped: ${p.missing_lookup_keys.length ? p.missing_lookup_keys.join(', ') : 'none'}`);
  if (action === 'overwrite') {
    line(`existing records: ${p.existing_records}; an overwrite may delete at most ${Math.round(p.mass_delete_max_ratio * 100)}% of them unless started with --allow-mass-delete`);
  }
  line();
  line(`first ${p.rows.length} row${p.rows.length === 1 ? '' : 's'}:`);
  printTable(p.headers.map((h) => cut(h) ?? ''), p.rows.map((r) => r.map(cut)));
  line();
  line(`start it:  npm run cli -- imports start ${p.import_id}${p.missing_required.length ? ` --map ${p.missing_required[0]}="<column>"` : ''}`);
  line(`or cancel: npm run cli -- imports cancel ${p.import_id}`);
}

export function reviewCommands(imports: Command): void {
  imports
    .command('preview')
    .description('how a review import (created with --review) would read and map its file, before it runs')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const api = client(cmd);
      const p = await getPreview(api, id);
      if (opts(cmd).json) return printJson(p);
      const imp = await api.get<ImportJson>(`/v1/imports/${id}`);
      printPreview(p, imp.action);
    });

  imports
    .command('start')
    .description('start a review import; --map fixes the mapping the preview showed (the others are kept)')
    .argument('<id>')
    .option('--map <field=Header>', 'map a column to a field, repeatable (--map phone=Handy)', collect, [])
    .option('--ignore <Header>', 'do not import this column, repeatable', collect, [])
    .addOption(new Option('--duplicate-handling <how>', 'rows naming the same record').choices(['ignore_all', 'use_first']))
    .option('--allow-mass-delete', 'overwrite: let cleanup delete more than the configured share of existing records')
    .option('--wait', 'follow the phases until the import ends; exit 0 only if it completed')
    .action(async (id: string, o: { map: string[]; ignore: string[]; duplicateHandling?: string; allowMassDelete?: boolean; wait?: boolean }, cmd: Command) => {
      const api = client(cmd);
      const body: Record<string, unknown> = {};
      if (o.map.length || o.ignore.length) body.column_mapping = await mergedMapping(api, id, mappingFlags(o.map), o.ignore);
      if (o.duplicateHandling) body.duplicate_handling = o.duplicateHandling;
      if (o.allowMassDelete) body.allow_mass_delete = true;
      const imp = await api.request<ImportJson>('POST', `/v1/imports/${id}/start`, body);
      if (o.wait) {
        process.exitCode = await follow(api, id, !!opts(cmd).json);
        return;
      }
      if (opts(cmd).json) return printJson(imp);
      line(`import ${imp.id} ${imp.status}; follow it with: npm run cli -- imports watch ${imp.id}`);
    });
}

/**
 * The API takes the complete mapping at start; a person names only what to change. So: the
 * preview's suggestion, each --map replacing whatever its field or its column had, --ignore
 * dropping a column.
 */
async function mergedMapping(api: ApiClient, id: string, changes: Record<string, string>, ignore: readonly string[]): Promise<Record<string, string>> {
  const p = await getPreview(api, id);
  const known = new Set(p.headers);
  for (const h of [...Object.values(changes), ...ignore]) {
    if (!known.has(h)) throw new CliError(`The file has no column "${h}"; its columns: ${p.headers.map((x) => `"${x}"`).join(', ')}.`);
  }
  const mapping: Record<string, string> = {};
  const taken = new Set([...Object.values(changes), ...ignore]);
  for (const c of p.columns) if (c.field && !taken.has(c.header) && !(c.field in changes)) mapping[c.field] = c.header;
  return { ...mapping, ...changes };
}
