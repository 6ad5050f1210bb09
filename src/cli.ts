import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { openDb } from './db/open.js';
import { serve, stopOnSignals, work } from './main.js';
import { createOrganizationWithKey } from './tenancy/api-keys.js';

const USAGE = `Usage: npm run cli -- <command>

  serve                       API server with an in-process worker (what npm start runs)
  worker                      a worker process only (npm run worker)
  migrate                     apply pending database migrations
  keys create --org "Acme"    create an organization and print its API key as one JSON line

Configuration comes from the environment; see the README.`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      stopOnSignals(await serve());
      return;
    case 'worker':
      stopOnSignals(await work());
      return;
    case 'migrate': {
      const db = await openDb(loadConfig());
      try {
        const applied = await migrate(db);
        process.stdout.write(JSON.stringify({ applied }) + '\n');
      } finally {
        await db.close();
      }
      return;
    }
    case 'keys': {
      const { values, positionals } = parseArgs({ args: rest, options: { org: { type: 'string' } }, allowPositionals: true });
      if (positionals[0] !== 'create' || !values.org?.trim()) throw new UsageError('keys create needs --org "Organization name"');
      const db = await openDb(loadConfig());
      try {
        await migrate(db);
        process.stdout.write(JSON.stringify(await createOrganizationWithKey(db, values.org.trim())) + '\n');
      } finally {
        await db.close();
      }
      return;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) process.stderr.write(`${err.message}\n\n${USAGE}\n`);
  else if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
