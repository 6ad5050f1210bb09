import { loadConfig } from '../src/config.js';
import type { Db } from '../src/db/db.js';
import { buildApp } from '../src/http/app.js';
import { storageFromConfig } from '../src/storage/from-config.js';

// The OpenAPI document exactly as the server serves it at /openapi.json, without a database or a
// listening socket: the app is built (routes and their Zod schemas) and asked for its document.
// The dashboard's typed client is generated from it at build time (scripts/build-web.ts), so the
// client's types are never older than the routes.

/** Building the app registers routes; none of them runs, so nothing may touch the database. */
function noDatabase(): Db {
  const refuse = (): never => {
    throw new Error('openapi-document: the document is built without a database; a route tried to query one.');
  };
  return { engine: 'postgres', query: refuse, copyIn: refuse, exec: refuse, transaction: refuse, close: async () => {} };
}

export async function openApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({ ...process.env, DEMO_ORG: 'false' });
  const app = await buildApp({
    db: noDatabase(),
    config,
    storage: storageFromConfig({ ...config, storage: 'local' }),
    // The document never signs a URL; a throwaway key keeps loadSigningKeys off the database.
    signingKeys: { current: { id: 'openapi-document', secret: 'not-used-for-signing-anything' }, previous: [] },
  });
  await app.ready();
  const doc = app.swagger() as unknown as Record<string, unknown>;
  await app.close();
  return doc;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await openApiDocument(), null, 2)}\n`);
}
