import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { askOwner, DataDirBusyError } from '../db/data-dir-lock.js';
import { migrate } from '../db/migrate.js';
import { openDb } from '../db/open.js';
import { runAdminCommand, type AdminCommand } from '../tenancy/admin-commands.js';
import type { CreatedKey, KeyListing, OrgListing } from '../tenancy/api-keys.js';
import { CliError } from './command-context.js';
import { isTty, printJson, printTable, when } from './output.js';

// `keys …` and `orgs …`: straight on the database when this process may open it (PostgreSQL,
// or an embedded database nobody holds); otherwise handed to the process that owns the
// embedded database, over its local socket (db/data-dir-lock.ts). Either way the same code
// runs (tenancy/admin-commands.ts) on the one copy of the data the server uses.

async function run(command: AdminCommand, args: Record<string, unknown> = {}): Promise<unknown> {
  const config = loadConfig();
  let db;
  try {
    db = await openDb(config, { role: `cli ${command.replace('.', ' ')}` });
  } catch (err) {
    if (!(err instanceof DataDirBusyError)) throw err;
    const res = await askOwner(config.dataDir, { command, args });
    if (!res.ok) throw new CliError(res.error.message);
    return res.result;
  }
  try {
    await migrate(db);
    // Another CLI command arriving meanwhile is answered here too.
    db.lock?.serve((req) => runAdminCommand(db, req));
    return await runAdminCommand(db, { command, args });
  } catch (err) {
    const e = err as { code?: unknown; message?: string };
    if (e.code === 'not_found' || e.code === 'invalid_request') throw new CliError(e.message ?? String(err));
    throw err;
  } finally {
    await db.close();
  }
}

const json = (cmd: Command) => !!cmd.optsWithGlobals<{ json?: boolean }>().json;

export function adminCommands(program: Command): void {
  const keys = program.command('keys').description('API keys (while the server runs, too)');
  keys
    .command('create')
    .description('a new API key, printed once as one JSON line: for a new organization named --org, or an existing organization\'s id')
    .requiredOption('--org <name or id>', 'organization name (a new organization) or id (one more key for it)')
    .action(async (o: { org: string }) => {
      if (!o.org.trim()) throw new CliError('keys create needs --org "Organization name".');
      const created = (await run('keys.create', { org: o.org })) as CreatedKey;
      process.stdout.write(JSON.stringify(created) + '\n');
      if (isTty(process.stderr)) process.stderr.write('Keep the key now: it is not shown again (only its prefix, in keys list).\n');
    });
  keys
    .command('list')
    .description('every key: id, prefix, organization, created, last used, revoked')
    .option('--org <name or id>', 'only this organization\'s keys')
    .action(async (o: { org?: string }, cmd: Command) => {
      const rows = (await run('keys.list', o.org ? { org: o.org } : {})) as KeyListing[];
      if (json(cmd)) return printJson(rows);
      printTable(
        ['id', 'prefix', 'organization', 'created', 'last used', 'revoked'],
        rows.map((k) => [k.id, `${k.prefix}…`, `${k.organization_name} (${k.organization_id})`, when(k.created_at), when(k.last_used_at), when(k.revoked_at)]),
      );
    });
  keys
    .command('revoke')
    .description('revoke a key: every API process refuses it (401) from the next request on')
    .argument('<key-id>', 'the id keys list shows (key_…)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const k = (await run('keys.revoke', { id })) as KeyListing;
      if (json(cmd)) return printJson(k);
      process.stdout.write(`revoked ${k.id} (${k.prefix}…, ${k.organization_name}) at ${when(k.revoked_at)}\n`);
    });

  program
    .command('orgs')
    .description('organizations')
    .command('list')
    .description('every organization with its number of active keys')
    .action(async (_o: unknown, cmd: Command) => {
      const rows = (await run('orgs.list')) as OrgListing[];
      if (json(cmd)) return printJson(rows);
      printTable(['id', 'name', 'created', 'active keys'], rows.map((o) => [o.id, o.name, when(o.created_at), o.active_keys]));
    });
}
