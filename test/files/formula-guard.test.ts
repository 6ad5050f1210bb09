import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvSafeCell } from '../../src/files/writers/csv-stream.js';
import { guardFormula, unguardFormula } from '../../src/files/formula-guard.js';
import { openRows } from '../../src/files/index.js';
import { csvStream } from '../../src/files/writers/csv-stream.js';
import { fcOptions } from '../properties/harness.js';

// The CSV formula guard is reversible (README "Downloads"): what the writers guard, the CSV
// reader unguards, and nothing else.

const formulaLike = fc
  .tuple(fc.constantFrom('', '=', '+', '-', '@', '\t', '\r', "'", "'=", "''+", "'-", "'''@", 'a'), fc.string({ maxLength: 8 }))
  .map(([p, s]) => p + s);

describe('guardFormula / unguardFormula', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1 555 0100', "'+1 555 0100"],
    ["'=x", "''=x"],
    ["''-1", "'''-1"],
    ["'abc", "'abc"],
    ["'", "'"],
    ['plain', 'plain'],
  ])('%j is written as %j and read back', (value, written) => {
    expect(guardFormula(value)).toBe(written);
    expect(unguardFormula(written)).toBe(value);
  });

  it('a cell that only looks guarded by accident is kept: one quote comes off only before a formula start', () => {
    expect(unguardFormula("'5")).toBe("'5");
    expect(unguardFormula("'abc'")).toBe("'abc'");
    expect(unguardFormula("'-5")).toBe('-5');
  });

  it('reading what was written gives every text back', () => {
    fc.assert(
      fc.property(fc.oneof(formulaLike, fc.string()), (s) => {
        expect(unguardFormula(csvSafeCell(s))).toBe(s);
        expect(csvSafeCell(s)).not.toMatch(/^[=+\-@\t\r]/);
      }),
      fcOptions(2000),
    );
  });

  it('a CSV download read by the upload reader gives the same headers and cells', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(formulaLike, formulaLike), { minLength: 1, maxLength: 5 }), async (rows) => {
        const header = ['a', '-b'];
        const stream = csvStream(header, (async function* () { yield rows; })());
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        const source = await openRows(Buffer.concat(chunks));
        expect(source.headers).toEqual(header);
        const read: Record<string, unknown>[] = [];
        for await (const r of source.rows) read.push(r.values);
        // Blank rows are skipped by the reader; a blank cell is absent.
        const expected = rows
          .filter(([a, b]) => a.trim() !== '' || b.trim() !== '')
          .map(([a, b]) => Object.fromEntries([['a', a], ['-b', b]].filter(([, v]) => v !== '')));
        expect(read.map((v) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== '')))).toEqual(expected);
      }),
      fcOptions(200),
    );
  });
});

describe('the CSV reader', () => {
  it('unguards cells and headers, and a row of guarded blanks is a blank row', async () => {
    const source = await openRows(Buffer.from("name,'-note\r\n'+1 555 0100,''=x\r\n\"'\t\",\r\n'5,'\r\n"));
    expect(source.headers).toEqual(['name', '-note']);
    const read: unknown[] = [];
    for await (const r of source.rows) read.push([r.row, r.values]);
    expect(read).toEqual([
      [1, { name: '+1 555 0100', '-note': "'=x" }],
      [3, { name: "'5", '-note': "'" }],
    ]);
  });
});
