import fs from 'node:fs';
import path from 'node:path';
import { Argument, Option, type Command } from 'commander';
import { download, putFile } from './api-client.js';
import { CliError, client, opts, positiveInt, userPath } from './command-context.js';
import { errorsCsv, follow, printErrors, printImport, type RowError } from './import-report.js';
import { changesCommand } from './import-changes.js';
import { line, printJson, printTable, when } from './output.js';
import { FINAL_STATUSES, uploadView, type ImportJson } from './progress.js';
import { revertCommand } from './revert.js';
import { getPreview, mappingFlags, printPreview, reviewCommands } from './review.js';

// `imports …`: a client of the HTTP API, like any other.

const collect = (value: string, prev: string[]) => [...prev, value];

export function importCommands(program: Command): void {
  const imports = program.command('imports').description('run and inspect imports through the HTTP API');

  imports
    .command('create')
    .description('create an async import, upload FILE to it, and (with --wait) follow it to the end')
    .argument('<file>', 'CSV, XLSX, JSON array or NDJSON file')
    .requiredOption('--resource <name>', 'contact, group, item, asset or location')
    .addOption(new Option('--action <action>', 'what to do with the rows').choices(['merge', 'overwrite', 'delete']).default('merge'))
    .addOption(new Option('--duplicate-handling <how>', 'rows naming the same record').choices(['ignore_all', 'use_first']))
    .option('--map <field=Header>', 'column mapping, repeatable (--map email="E-mail address")', collect, [])
    .option('--location-id <id>', 'location for rows that name none')
    .option('--name <name>', 'a name for the import')
    .option('--no-save-upload', 'do not keep the uploaded rows for download')
    .option('--review', 'after the upload, show how the file maps (the import waits; run it with: imports start ID)')
    .option('--dry-run', 'report what the import would do (stats, row errors, changes) without changing any record')
    .option('--wait', 'follow the phases until the import ends; exit 0 only if it completed')
    .action(async (file: string, o: { resource: string; action: string; duplicateHandling?: string; map: string[]; locationId?: string; name?: string; saveUpload: boolean; review?: boolean; dryRun?: boolean; wait?: boolean }, cmd: Command) => {
      const g = opts(cmd);
      const api = client(cmd);
      let size: number;
      file = userPath(file);
      try {
        const st = fs.statSync(file);
        if (!st.isFile()) throw new Error('not a file');
        size = st.size;
      } catch {
        throw new CliError(`Cannot read ${file}: no such file.`);
      }
      if (o.review && o.wait) throw new CliError('--review and --wait do not go together: a review import waits for "imports start ID" (which takes --wait).');
      const mapping = mappingFlags(o.map);
      const created = await api.request<ImportJson>('POST', '/v1/imports', {
        resource: o.resource,
        action: o.action,
        upload_mode: 'async',
        ...(o.duplicateHandling ? { duplicate_handling: o.duplicateHandling } : {}),
        ...(o.map.length ? { column_mapping: mapping } : {}),
        ...(o.locationId ? { location_id: o.locationId } : {}),
        ...(o.name ? { name: o.name } : {}),
        ...(o.saveUpload ? {} : { save_upload: false }),
        ...(o.review ? { review: true } : {}),
        ...(o.dryRun ? { dry_run: true } : {}),
      });
      if (!created._upload_url) throw new CliError(`The API answered import ${created.id} without an upload URL.`);
      if (!g.json) line(`import ${created.id} created (${o.resource}, ${o.action}${o.dryRun ? ', dry run: nothing will be changed' : ''})`);
      const up = uploadView(path.basename(file), size, !!g.json);
      const abort = new AbortController();
      const onInt = () => {
        abort.abort();
        up.stop();
        process.stderr.write(`\nUpload stopped. Import ${created.id} was not started and expires unused.\n`);
        process.exit(130);
      };
      process.once('SIGINT', onInt);
      try {
        await putFile(created._upload_url, file, (sent) => up.update(sent), abort.signal);
      } finally {
        process.off('SIGINT', onInt);
      }
      up.stop();
      if (o.review) {
        const p = await getPreview(api, created.id);
        if (g.json) printJson(p);
        else printPreview(p, o.action);
        return;
      }
      if (!o.wait) {
        const imp = await api.get<ImportJson>(`/v1/imports/${created.id}`);
        if (g.json) printJson(imp);
        else line(`import ${imp.id} ${imp.status}; follow it with: npm run cli -- imports watch ${imp.id}`);
        return;
      }
      process.exitCode = await follow(api, created.id, !!g.json);
    });

  reviewCommands(imports);

  imports
    .command('watch')
    .description('follow an import until it ends (Ctrl-C stops watching, not the import)')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      process.exitCode = await follow(client(cmd), id, !!opts(cmd).json);
    });

  imports
    .command('list')
    .description('imports, newest first')
    .option('--status <status>')
    .option('--resource <name>')
    .option('--limit <n>', 'how many', (v) => positiveInt(v, '--limit'), 20)
    .action(async (o: { status?: string; resource?: string; limit: number }, cmd: Command) => {
      const api = client(cmd);
      const rows: ImportJson[] = [];
      for await (const imp of api.all<ImportJson>('/v1/imports', { status: o.status, resource: o.resource }, o.limit)) rows.push(imp);
      if (opts(cmd).json) return printJson(rows);
      printTable(
        ['id', 'resource', 'action', 'status', 'created_at', 'rows', 'created', 'updated', 'deleted', 'duplicates', 'errors'],
        rows.map((i) => [i.id, i.resource, i.action, i.status, when(i.created_at), i.stats.total, i.stats.created, i.stats.updated, i.stats.deleted, i.stats.duplicates, i.stats.errors]),
      );
    });

  imports
    .command('get')
    .description('one import: status, phases, stats')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const imp = await client(cmd).get<ImportJson>(`/v1/imports/${id}`);
      if (opts(cmd).json) return printJson(imp);
      printImport(imp);
    });

  imports
    .command('cancel')
    .description('cancel an import that has not ended')
    .argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const imp = await client(cmd).request<ImportJson>('POST', `/v1/imports/${id}/cancel`);
      if (opts(cmd).json) return printJson(imp);
      line(`import ${imp.id} ${imp.status}${imp.reason ? ` (${imp.reason})` : ''}`);
    });

  revertCommand(imports);

  imports
    .command('errors')
    .description("an import's row errors: a table, or every one as CSV/JSON (--format) to stdout or -o FILE")
    .argument('<id>')
    .addOption(new Option('--format <format>').choices(['csv', 'json']))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--limit <n>', 'at most this many (default: 50 in a table, all with --format)', (v) => positiveInt(v, '--limit'))
    .action(async (id: string, o: { format?: 'csv' | 'json'; output?: string; limit?: number }, cmd: Command) => {
      const api = client(cmd);
      const format = o.format ?? (opts(cmd).json ? 'json' : undefined);
      const max = o.limit ?? (format ? Infinity : 50);
      const errors: RowError[] = [];
      for await (const e of api.all<RowError>(`/v1/imports/${id}/errors`, {}, max)) errors.push(e);
      const text = format === 'json' ? JSON.stringify(errors, null, 2) + '\n' : format === 'csv' ? errorsCsv(errors) : null;
      if (text !== null) {
        if (o.output) {
          fs.writeFileSync(userPath(o.output), text);
          process.stderr.write(`${errors.length} row errors written to ${o.output}\n`);
        } else process.stdout.write(text);
        return;
      }
      if (errors.length === 0) return line('no row errors');
      printErrors(errors);
    });

  changesCommand(imports);

  imports
    .command('download')
    .description("download an import's stored files: its uploaded rows, its row errors, or every row's outcome (results)")
    .argument('<id>')
    .addArgument(new Argument('<which>', 'upload, errors or results (one line per row: row, line, outcome, record_id, error_code)').choices(['upload', 'errors', 'results']))
    .addOption(new Option('--format <format>').choices(['csv', 'json']).default('csv'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (id: string, which: 'upload' | 'errors' | 'results', o: { format: 'csv' | 'json'; output?: string }, cmd: Command) => {
      const flag = `include_${which}_${o.format}`;
      const imp = await client(cmd).get<ImportJson>(`/v1/imports/${id}`, { [flag]: true });
      const url = imp[`_${which}_${o.format}_url`];
      if (typeof url !== 'string') {
        throw new CliError(
          which === 'errors'
            ? `Import ${id} has no errors file${FINAL_STATUSES.has(imp.status) ? '' : ' yet (it is written when the import ends)'}.`
            : which === 'results'
              ? `Import ${id} has no results file${FINAL_STATUSES.has(imp.status) ? ' (its file could not be read, or retention deleted it)' : ' yet (it is written when the import ends)'}.`
              : `Import ${id} has no stored upload${FINAL_STATUSES.has(imp.status) ? ' (save_upload was off, or the file could not be read)' : ' yet (it is written when the import ends)'}.`,
        );
      }
      const out = o.output ? fs.createWriteStream(userPath(o.output)) : process.stdout;
      await download(url, out);
      if (o.output) process.stderr.write(`${which}.${o.format} of ${id} written to ${o.output}\n`);
    });
}
