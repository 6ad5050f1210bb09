import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { scenario, seedOf } from './arbitraries.js';
import { fcOptions, resolveTokens, runFile, seededOrg, type Org } from './harness.js';

// "Another organization's records never change" (SPEC §11 Safe: "never … a write to another
// organization's data"; §1 organization_id "taken from the API key"). A second organization
// holds its own records with the same external_ids, skus and emails; the file in organization 1
// may even carry ids of organization 2's records (`@@X`). After any import in organization 1,
// organization 2's records are byte-identical (timestamps included) and it has no new events;
// organization 1 never holds a record with one of organization 2's ids.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

async function snapshot(org: Org) {
  return {
    items: await org.k.records('item'),
    contacts: await org.k.records('contact'),
    assets: await org.k.records('asset'),
    locations: await org.k.records('location'),
    events: (await org.k.events()).length,
  };
}

describe('tenancy', () => {
  it("an import in one organization never changes another's records", { timeout: 600_000 }, async () => {
    const arb = scenario({ foreign: true }).chain((sc) => seedOf(sc.resource).map((otherInitial) => ({ sc, otherInitial })));
    await fc.assert(
      fc.asyncProperty(arb, async ({ sc, otherInitial }) => {
        const other = await seededOrg(svc, sc.resource, otherInitial, sc.assetItems);
        const org = await seededOrg(svc, sc.resource, sc.initial, sc.assetItems);
        const before = await snapshot(other);
        const file = resolveTokens(sc.resource, sc.file, org, other);
        const { records } = await runFile(org, sc, file);
        expect(await snapshot(other)).toEqual(before);
        const foreignIds = new Set([...other.ids.values()]);
        expect(records.filter((r) => foreignIds.has(r.id))).toEqual([]);
      }),
      fcOptions(30),
    );
  });
});
