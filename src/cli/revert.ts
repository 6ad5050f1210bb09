import type { Command } from 'commander';
import { ApiError } from './api-client.js';
import { client, opts } from './command-context.js';
import { follow } from './import-report.js';
import { line, printJson, printTable } from './output.js';
import type { ImportJson } from './progress.js';

// `imports revert ID`: POST /v1/imports/{id}/revert (README "Reverting an import"). When
// records were changed since, the API answers 409; the records are listed here before the
// error, so the user sees what --force would overwrite.

interface Conflict {
  resource: string;
  record_id: string;
  change: string;
  conflict: string;
  later_import_id: string | null;
  other_record_id: string | null;
}

/** How many conflicts are printed before the error (the API lists every one, by page). */
const SHOWN = 20;

export function revertCommand(imports: Command): void {
  imports
    .command('revert')
    .description('take a completed import back: a revert import deletes what it created, restores what it updated or deleted')
    .argument('<id>')
    .option('--force', 'revert even over records changed since by something else (those changes are undone too)')
    .option('--allow-mass-delete', 'allow deleting more than the mass-delete share of existing records')
    .option('--wait', 'follow the revert until it ends; exit 0 only if it completed')
    .action(async (id: string, o: { force?: boolean; allowMassDelete?: boolean; wait?: boolean }, cmd: Command) => {
      const api = client(cmd);
      const json = !!opts(cmd).json;
      let created: ImportJson;
      try {
        created = await api.request<ImportJson>('POST', `/v1/imports/${id}/revert`, { force: !!o.force, allow_mass_delete: !!o.allowMassDelete });
      } catch (err) {
        if (err instanceof ApiError && err.code === 'revert_conflict' && !json) {
          const page = await api.get<{ data: Conflict[]; pagination: { total_count: number } }>(`/v1/imports/${id}/revert-conflicts`, { limit: SHOWN });
          printTable(
            ['resource', 'record_id', 'import did', 'since', 'by'],
            page.data.map((c) => [c.resource, c.record_id, c.change, c.conflict, c.later_import_id ?? c.other_record_id]),
          );
          if (page.pagination.total_count > page.data.length) line(`… and ${page.pagination.total_count - page.data.length} more`);
        }
        throw err;
      }
      if (!o.wait) {
        if (json) return printJson(created);
        return line(`import ${created.id} ${created.status}: reverts ${id}; follow it with: npm run cli -- imports watch ${created.id}`);
      }
      if (!json) line(`import ${created.id} reverts ${id}`);
      process.exitCode = await follow(api, created.id, json);
    });
}
