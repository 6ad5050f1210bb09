import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Action } from '../../src/domain/import.js';
import { getResource, RESOURCE_NAMES } from '../../src/resources/index.js';
import { importStatements, sampleParams, type NamedStatement } from '../../src/pipeline/statements.js';
import { startService, type TestService } from '../support/service.js';

// Every statement sql:print shows, for every resource and action, whole-file and ranged, is
// planned by the engine this suite runs on (PGlite, or PostgreSQL when DATABASE_URL is set)
// with sample parameters of the right types. The temporary tables a phase creates are created
// (and statistics gathered) for real, in that phase's transaction, which is then rolled back.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

class Rollback extends Error {}
const ACTIONS: readonly Action[] = ['merge', 'overwrite', 'delete'];

for (const resource of RESOURCE_NAMES) {
  for (const action of ACTIONS) {
    it(`plans every statement of a ${resource} ${action}`, async () => {
      const def = getResource(resource);
      let planned = 0;
      for (const ranged of [false, true]) {
        const list = importStatements(def, action, sampleParams(def, action), { ranged });
        const phases = [...new Set(list.map((s) => s.phase))];
        for (const phase of phases) {
          await expect(
            svc.db.transaction(async (tx) => {
              for (const s of list.filter((x) => x.phase === phase)) planned += await planOrRun(tx, s);
              throw new Rollback();
            }),
          ).rejects.toBeInstanceOf(Rollback);
        }
      }
      expect(planned).toBeGreaterThan(5);
    });
  }
}

/** EXPLAINs the statement (and runs it when it sets up a temporary table or statistics); 1 when planned. */
async function planOrRun(tx: Pick<TestService['db'], 'query'>, s: NamedStatement): Promise<number> {
  const { text, values } = s.statement.compile();
  const label = `${s.phase} · ${s.name}`;
  const setup = /^\s*(CREATE TEMPORARY TABLE|ANALYZE)/.test(text);
  let planned = 0;
  if (!setup || /^\s*CREATE TEMPORARY TABLE \w+ ON COMMIT DROP AS/.test(text)) {
    const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values).catch((err: Error) => {
      throw new Error(`EXPLAIN of ${label} failed: ${err.message}\n${text}`);
    });
    expect(plan.rows.length, label).toBeGreaterThan(0);
    planned = 1;
  }
  if (setup) await tx.query(text, values);
  return planned;
}
