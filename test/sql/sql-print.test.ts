import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// `npm run sql:print` as a user runs it: every statement of a merge, an overwrite and a delete of
// each resource, compared with the files under __snapshots__ (review a change to the SQL there;
// `npx vitest run test/sql -u` rewrites them).

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const script = path.join(root, 'scripts/sql-print.ts');

describe('sql:print', () => {
  it('prints every statement of each resource and action, as in the snapshots', async () => {
    const { stdout } = await run(tsx, [script, '--resource', 'all', '--action', 'all'], { cwd: root, maxBuffer: 64 << 20 });
    const parts = stdout.split(/^(?=-- \w+ (?:merge|overwrite|delete): \d+ statements$)/m);
    const names = parts.map((p) => /^-- (\w+) (\w+):/.exec(p)?.slice(1, 3).join('-'));
    expect(names).toEqual(
      ['location', 'group', 'contact', 'item', 'asset'].flatMap((r) => ['merge', 'overwrite', 'delete'].map((a) => `${r}-${a}`)),
    );
    for (const [i, part] of parts.entries()) {
      // No value in the text: every sample value appears only in the parameter lists.
      for (const line of part.split('\n').filter((l) => !l.startsWith('--'))) expect(line).not.toMatch(/sample/);
      await expect(part).toMatchFileSnapshot(`__snapshots__/${names[i]}.sql`);
    }
  });

  it('prints one resource and action alone, headed by phase and builder, with labelled parameters', async () => {
    const { stdout } = await run(tsx, [script, '--resource', 'contact', '--action', 'merge'], { cwd: root });
    expect(stdout).toMatch(/^-- contact merge: \d+ statements\n/);
    expect(stdout).toContain('-- [1] preparsing · removeDuplicates(identity)');
    expect(stdout).toMatch(/-- \[\d+\] processing · upsertRecords\nWITH src AS/);
    expect(stdout).toMatch(/-- {3}\$1 = import id: "imp_/);
    expect(stdout).not.toContain('overwrite: ');
  });

  it('says what it expected when given an unknown resource', async () => {
    await expect(run(tsx, [script, '--resource', 'contacts', '--action', 'merge'], { cwd: root })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Unknown resource "contacts"; expected one of: location, group, contact, item, asset, all.'),
    });
  });
});
