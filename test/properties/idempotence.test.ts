import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { one, validMergeFile, validSeed, type Resource } from './arbitraries.js';
import { fcOptions, seededOrg } from './harness.js';

// Merge idempotence (SPEC §3 merge "A matched record whose values would not change is
// `unchanged` and not written"; README "Sending the same import again leaves every record
// `unchanged`: nothing is written and no event is emitted"). A valid file — every row accepted
// by the first run — sent a second time creates and updates nothing, emits no event, and leaves
// every record byte-identical (updated_at included).

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const arb = one<Resource>('item', 'contact').chain((resource) =>
  fc.record({ resource: fc.constant(resource), initial: validSeed(resource), file: validMergeFile(resource), mode: one('ignore_all', 'use_first') }),
);

describe('merge idempotence', () => {
  it('the same valid file merged twice: the second run changes nothing', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ({ resource, initial, file, mode }) => {
        const org = await seededOrg(svc, resource, initial);
        const first = await org.k.merge(resource, file, { duplicate_handling: mode });
        expect(first.stats, 'the generated file is valid').toMatchObject({ total: file.length, duplicates: 0, errors: 0 });
        const between = await org.k.records(resource);
        const second = await org.k.merge(resource, file, { duplicate_handling: mode });
        expect(second.stats).toMatchObject({ total: file.length, created: 0, updated: 0, deleted: 0, unchanged: file.length, events: 0 });
        expect(await org.k.events(second.id)).toEqual([]);
        expect(await org.k.records(resource)).toEqual(between);
      }),
      fcOptions(40),
    );
  });
});
