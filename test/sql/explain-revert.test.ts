import { afterAll, beforeAll, expect, it } from 'vitest';
import { getResource, RESOURCE_NAMES } from '../../src/resources/index.js';
import { revertStatements, sampleRevertParams } from '../../src/pipeline/statements.js';
import { startService, type TestService } from '../support/service.js';

// Every statement of a revert (issue 16), for the rows of every resource, is planned by the
// engine this suite runs on, as explain-statements.test.ts does for imports.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

class Rollback extends Error {}

for (const resource of RESOURCE_NAMES) {
  it(`plans every statement of a revert touching ${resource} records`, async () => {
    const def = getResource(resource);
    const list = revertStatements(def, sampleRevertParams());
    let planned = 0;
    await expect(
      svc.db.transaction(async (tx) => {
        for (const s of list) {
          const { text, values } = s.statement.compile();
          // The temporary table removeRecords works in is made for real, for the statements after it.
          if (/^\s*CREATE TEMPORARY TABLE/.test(text)) {
            await tx.query(text, values);
            continue;
          }
          const plan = await tx.query(`EXPLAIN ${text}`, values).catch((err: Error) => {
            throw new Error(`EXPLAIN of ${s.phase} · ${s.name} failed: ${err.message}\n${text}`);
          });
          expect(plan.rows.length).toBeGreaterThan(0);
          planned++;
        }
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);
    expect(planned).toBe(list.length - 1);
  });
}
