import { Command, CommanderError } from 'commander';
import { adminCommands } from './cli/admin.js';
import { ApiError } from './cli/api-client.js';
import { CliError } from './cli/command-context.js';
import { importCommands } from './cli/imports.js';
import { recordCommands } from './cli/records.js';
import { webhookCommands } from './cli/webhooks.js';
import { ConfigError, loadConfig } from './config.js';
import { DataDirBusyError } from './db/data-dir-lock.js';
import { migrate } from './db/migrate.js';
import { openDb } from './db/open.js';
import { serve, stopOnSignals, work } from './main.js';

// `npm run cli -- <command>`: the service's processes (serve, worker, migrate), the operator's
// admin commands (keys, orgs) and a client of the HTTP API (imports, records).

const program = new Command('npm run cli --')
  .description('Imports service: run it, manage its API keys, and run imports from a terminal.')
  .option('--json', 'machine-readable output')
  .option('--url <url>', 'imports API base URL (env IMPORTS_URL; default http://localhost:3000)')
  .option('--api-key <key>', 'API key for imports/records (env IMPORTS_API_KEY)')
  .showHelpAfterError()
  .exitOverride();

program
  .command('serve')
  .description('API server with an in-process worker (what npm start runs)')
  .action(async () => stopOnSignals(await serve()));
program
  .command('worker')
  .description('a worker process only (npm run worker); on the embedded database only if no server holds it')
  .action(async () => stopOnSignals(await work()));
program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const db = await openDb(loadConfig(), { role: 'cli migrate' });
    try {
      process.stdout.write(JSON.stringify({ applied: await migrate(db) }) + '\n');
    } finally {
      await db.close();
    }
  });
adminCommands(program);
importCommands(program);
recordCommands(program);
webhookCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Help and version are not failures; commander already printed its usage message.
    process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? 0 : 2);
  }
  if (err instanceof CliError || err instanceof ApiError || err instanceof ConfigError || err instanceof DataDirBusyError) {
    process.stderr.write(`${err.message}\n`);
  } else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
