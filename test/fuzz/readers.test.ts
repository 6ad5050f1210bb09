import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileReadError } from '../../src/files/file-read-error.js';
import { openRows, type ReadLimits, type SourceRow } from '../../src/files/open-rows.js';
import { buildZip, handMadeXlsx } from '../files/helpers.js';

// Fuzz targets for each reader (issue 18): generated files and arbitrary bytes, a bounded
// number of runs each so the suite stays quick. What must hold for any input:
//  - no crash: the reader yields rows or fails with its documented error (FileReadError);
//  - bounded memory: small limits are given, and nothing the reader yields is larger than they
//    allow (a row never carries more than its record's characters, a cell more than its cap);
//  - every row accounted for: a well-formed file gives back exactly its rows, numbered in order.

const LIMITS: ReadLimits = { maxRecordChars: 4096, maxCellChars: 1024, maxColumns: 64, maxJsonDepth: 16, maxXlsxSharedStrings: 1000, maxXlsxSharedStringBytes: 64 * 1024 };
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

type Outcome = { rows: SourceRow[]; error?: FileReadError };

async function read(bytes: Buffer): Promise<Outcome> {
  const rows: SourceRow[] = [];
  try {
    const source = await openRows(bytes, LIMITS);
    for await (const row of source.rows) rows.push(row);
    return { rows };
  } catch (err) {
    // Anything but the reader's own error is a crash.
    if (!(err instanceof FileReadError)) throw err;
    expect(['unreadable_file', 'invalid_header']).toContain(err.code);
    return { rows, error: err };
  }
}

function checkShape({ rows }: Outcome, maxRowChars: number): void {
  let previous = 0;
  for (const r of rows) {
    expect(Number.isInteger(r.row) && r.row > previous).toBe(true);
    previous = r.row;
    expect(typeof r.values === 'object' && r.values !== null).toBe(true);
    expect(JSON.stringify(r.values).length).toBeLessThanOrEqual(maxRowChars);
  }
}

// A row's JSON may escape every character (\uXXXX: 6) and quote every key: a generous bound.
const ROW_BOUND = 6 * (LIMITS.maxRecordChars! + 1024);

const anyBytes = fc.uint8Array({ minLength: 1, maxLength: 2048 }).map((a) => Buffer.from(a));
const cellText = fc.string({ unit: fc.constantFrom('a', 'b', 'Z', ' ', '"', ',', '\n', 'é', '€', '😀', '0', '1'), maxLength: 12 });

describe('fuzz: CSV reader', () => {
  it('any bytes: rows or unreadable_file/invalid_header, never a crash; rows in order and bounded', async () => {
    await fc.assert(fc.asyncProperty(anyBytes, async (bytes) => checkShape(await read(bytes), ROW_BOUND)), { numRuns: RUNS });
  });

  it('any table written as CSV comes back row for row, cell for cell', async () => {
    const table = fc.array(fc.tuple(cellText, cellText, cellText), { minLength: 1, maxLength: 30 });
    await fc.assert(
      fc.asyncProperty(table, async (rows) => {
        const quote = (c: string) => `"${c.replace(/"/g, '""')}"`;
        // The first cell is never blank, so every record is a row.
        const body = rows.map(([a, b, c]) => [`x${a}`, b, c].map(quote).join(',')).join('\n');
        const out = await read(Buffer.from(`a,b,c\n${body}\n`));
        expect(out.error).toBeUndefined();
        expect(out.rows.map(({ line: _line, ...r }) => r)).toEqual(rows.map(([a, b, c], i) => ({ row: i + 1, values: { a: `x${a}`, b, c } })));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: JSON and NDJSON readers', () => {
  const value = fc.jsonValue({ maxDepth: 6 });

  it('any bytes that look like JSON: rows or a reader error, never a crash', async () => {
    const jsonish = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', ':', ',', '1', 'a', ' ', '\n', '\\', 'u'), maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(jsonish, async (text) => {
        checkShape(await read(Buffer.from(`[${text}`)), ROW_BOUND);
        checkShape(await read(Buffer.from(`{${text}`)), ROW_BOUND);
      }),
      { numRuns: RUNS },
    );
  });

  it('a JSON array gives one row per element; objects as they are, anything else a parse error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 20 }), async (generated) => {
        const text = JSON.stringify(generated);
        const elements = JSON.parse(text) as unknown[]; // as written: -0 is written as 0
        const out = await read(Buffer.from(text));
        if (out.error) {
          // Only the documented limits may stop a well-formed array.
          expect(out.error.message).toMatch(/MAX_JSON_DEPTH|longer than/);
          return;
        }
        expect(out.rows.map((r) => r.row)).toEqual(elements.map((_, i) => i + 1));
        out.rows.forEach((r, i) => {
          const e = elements[i];
          if (e !== null && typeof e === 'object' && !Array.isArray(e)) expect(r.values).toEqual(e);
          else expect(typeof r.values.__parse_error).toBe('string');
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('NDJSON gives one row per non-blank line, a broken line spoiling only its own row', async () => {
    const line = fc.oneof(value.map((v) => JSON.stringify(v)), fc.string({ maxLength: 20 }).map((s) => `{${s.replace(/\n/g, '')}`));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 20 }), async (lines) => {
        const first = '{"k":1}'; // an object first, so the file sniffs as NDJSON
        const out = await read(Buffer.from([first, ...lines].join('\n')));
        expect(out.error).toBeUndefined();
        const nonBlank = [first, ...lines].filter((l) => l.trim() !== '');
        expect(out.rows.map((r) => r.row)).toEqual(nonBlank.map((_, i) => i + 1));
        checkShape(out, ROW_BOUND);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: XLSX reader', () => {
  const cell = fc.oneof(cellText.map((s) => `x${s}`), fc.integer({ min: -1e6, max: 1e6 }));

  it('any sheet comes back row for row', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 20 }), async (rows) => {
        const out = await read(handMadeXlsx([['a', 'b'], ...rows]));
        expect(out.error).toBeUndefined();
        expect(out.rows).toEqual(rows.map(([a, b], i) => ({ row: i + 1, line: i + 2, values: { a, b } })));
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('a damaged workbook (bytes overwritten anywhere) gives rows or unreadable_file, never a crash or a hang', async () => {
    const good = handMadeXlsx([['a', 'b'], ['x1', 2], ['x3', 4]]);
    const damage = fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(damage, async (edits) => {
        const bad = Buffer.from(good);
        for (const [at, byte] of edits) bad[at] = byte;
        checkShape(await read(bad), ROW_BOUND);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('any bytes inside a zip: unreadable_file, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(anyBytes, anyBytes, async (sheet, strings) => {
        const zip = buildZip([
          { name: 'xl/workbook.xml', data: '<workbook><sheets><sheet name="S" sheetId="1"/></sheets></workbook>' },
          { name: 'xl/worksheets/sheet1.xml', data: sheet },
          { name: 'xl/sharedStrings.xml', data: strings },
        ]);
        checkShape(await read(zip), ROW_BOUND);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});
