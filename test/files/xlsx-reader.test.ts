import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRows } from '../../src/files/open-rows.js';
import { buildZip, chunked, expectFileReadError, handMadeXlsx, openError, readAll } from './helpers.js';

// Each test file runs in its own process: give this one a private temp dir so the temp-file
// checks cannot see other files' work.
let tempDir = '';
beforeAll(() => {
  tempDir = mkdtempSync(path.join(tmpdir(), 'files-xlsx-test-'));
  process.env.TMPDIR = tempDir;
  expect(tmpdir()).toBe(tempDir);
});
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

async function workbookBuffer(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('XLSX values', () => {
  it('reads strings, numbers, booleans, dates, formulas, rich text, links and errors', async () => {
    const buf = await workbookBuffer((wb) => {
      const ws = wb.addWorksheet('Contacts');
      ws.addRow(['Name', 'Joined', 'Seen', 'Score', 'Double', 'Label', 'Bio', 'Site', 'Active', 'Check', 'Today']);
      ws.addRow([
        'Ann',
        new Date(Date.UTC(2024, 0, 15)),
        new Date(Date.UTC(2024, 0, 15, 14, 30, 5)),
        3.5,
        { formula: 'D2*2', result: 7 },
        { formula: 'A2&"!"', result: 'Ann!' },
        { richText: [{ text: 'Hello ' }, { font: { bold: true }, text: 'World' }] },
        { text: 'Example', hyperlink: 'https://example.com' },
        true,
        { error: '#N/A' },
        { formula: 'TODAY()', result: new Date(Date.UTC(2024, 5, 1)) },
      ]);
      ws.getCell('K2').numFmt = 'yyyy-mm-dd';
    });
    const { format, headers, rows } = await readAll(buf);
    expect(format).toBe('xlsx');
    expect(headers).toEqual(['Name', 'Joined', 'Seen', 'Score', 'Double', 'Label', 'Bio', 'Site', 'Active', 'Check', 'Today']);
    expect(rows).toEqual([
      {
        row: 1,
        values: {
          Name: 'Ann',
          Joined: '2024-01-15',
          Seen: '2024-01-15T14:30:05.000Z',
          Score: 3.5,
          Double: 7,
          Label: 'Ann!',
          Bio: 'Hello World',
          Site: 'Example',
          Active: true,
          Check: '#N/A',
          Today: '2024-06-01',
        },
      },
    ]);
  });

  it('numbers rows by sheet row: blank rows in the middle are skipped but keep the numbering', async () => {
    const buf = await workbookBuffer((wb) => {
      const ws = wb.addWorksheet('S');
      ws.getRow(3).values = ['id', 'name']; // header on sheet row 3, after two empty rows
      ws.getRow(4).values = [1, 'a'];
      ws.getRow(5).values = [2, 'b'];
      ws.getRow(6).values = [null, '  ']; // whitespace only: blank
      ws.getRow(8).values = [4, 'd'];
      ws.getRow(9).values = [null, 'e']; // missing cell: absent
    });
    const { headers, rows } = await readAll(buf);
    expect(headers).toEqual(['id', 'name']);
    expect(rows).toEqual([
      { row: 1, values: { id: 1, name: 'a' } },
      { row: 2, values: { id: 2, name: 'b' } },
      { row: 5, values: { id: 4, name: 'd' } },
      { row: 6, values: { name: 'e' } },
    ]);
  });

  it('reads only the first visible worksheet', async () => {
    const buf = await workbookBuffer((wb) => {
      wb.addWorksheet('Lookup', { state: 'hidden' }).addRow(['hidden']);
      wb.addWorksheet('Data').addRows([['x'], ['1']]);
      wb.addWorksheet('Notes').addRows([['notes'], ['ignore me']]);
    });
    const { headers, rows } = await readAll(buf);
    expect(headers).toEqual(['x']);
    expect(rows).toEqual([{ row: 1, values: { x: '1' } }]);
  });

  it('reports cells to the right of the header as a parse error', async () => {
    const buf = await workbookBuffer((wb) => {
      const ws = wb.addWorksheet('S');
      ws.addRow(['a', 'b', ' ']); // trailing blank header dropped
      ws.addRow([1, 2, 3]);
      ws.addRow([1, 2, null, null, 'far']);
    });
    const { headers, rows } = await readAll(buf);
    expect(headers).toEqual(['a', 'b']);
    expect(rows[0]?.values).toEqual({ a: 1, b: 2, __parse_error: 'Row has 3 cells but the header has 2' });
    expect(rows[1]?.values).toEqual({ a: 1, b: 2, __parse_error: 'Row has 5 cells but the header has 2' });
  });

  it('names header problems by column letter', async () => {
    const blank = await workbookBuffer((wb) => wb.addWorksheet('S').addRow(['a', null, 'c']));
    expectFileReadError(await openError(blank), 'invalid_header', 'Column B has a blank header.');
    const dup = await workbookBuffer((wb) => wb.addWorksheet('S').addRow(['Email', 'x', 'y', ' Email ']));
    expectFileReadError(await openError(dup), 'invalid_header', 'Header "Email" appears twice (columns A and D).');
    const empty = await workbookBuffer((wb) => wb.addWorksheet('S'));
    expectFileReadError(await openError(empty), 'invalid_header', /no header row/);
  });
});

describe('XLSX layouts', () => {
  it('reads an Excel-style zip: sheet before shared strings, sheet at a non-standard path', async () => {
    const buf = handMadeXlsx(
      [
        ['Name', 'Qty'],
        ['Widget', 3],
        [null, null],
        ['Gadget & Co', 4.25],
      ],
      { sheetPath: 'worksheets/data.xml' },
    );
    const { headers, rows } = await readAll(buf);
    expect(headers).toEqual(['Name', 'Qty']);
    expect(rows).toEqual([
      { row: 1, values: { Name: 'Widget', Qty: 3 } },
      { row: 3, values: { Name: 'Gadget & Co', Qty: 4.25 } },
    ]);
  });

  it('spools a streamed upload to a temp file and removes it afterwards, also when closed early', async () => {
    const buf = await workbookBuffer((wb) => {
      const ws = wb.addWorksheet('S');
      ws.addRow(['id', 'text']);
      for (let i = 1; i <= 5000; i++) ws.addRow([i, `row ${i} ${'x'.repeat(i % 50)}`]);
    });
    expect(buf.length).toBeGreaterThan(64 * 1024); // beyond the sniffed prefix: really spooled

    const { rows } = await readAll(chunked(buf, 16 * 1024));
    expect(rows).toHaveLength(5000);
    expect(rows[4999]).toEqual({ row: 5000, values: { id: 5000, text: `row 5000 ${'x'.repeat(0)}` } });
    expect(readdirSync(tempDir)).toEqual([]);

    const source = await openRows(chunked(buf, 16 * 1024));
    expect(readdirSync(tempDir)).toHaveLength(1); // the spooled upload
    for await (const row of source.rows) if (row.row === 10) break;
    expect(readdirSync(tempDir)).toEqual([]);

    const unread = await openRows(chunked(buf, 16 * 1024));
    await unread.close();
    expect(readdirSync(tempDir)).toEqual([]);
  });
});

describe('XLSX limits and damage', () => {
  it('refuses a workbook whose declared size exceeds maxXlsxUncompressedBytes', async () => {
    const buf = await workbookBuffer((wb) => wb.addWorksheet('S').addRows([['a'], ['1']]));
    expectFileReadError(await openError(buf, { maxXlsxUncompressedBytes: 1000 }), 'unreadable_file', 'XLSX expands to more than 1000 bytes.');
  });

  it('refuses a workbook with more entries than maxXlsxEntries', async () => {
    const buf = await workbookBuffer((wb) => wb.addWorksheet('S').addRows([['a'], ['1']]));
    expectFileReadError(await openError(buf, { maxXlsxEntries: 3 }), 'unreadable_file', 'XLSX contains more than 3 files.');
  });

  it('refuses a zip that declares a huge size, before inflating anything', async () => {
    const buf = handMadeXlsx([['a'], ['1']], { declaredSheetSize: 2 ** 31 });
    expectFileReadError(await openError(buf), 'unreadable_file', `XLSX expands to more than ${2 ** 30} bytes.`);
  });

  it('stops a zip bomb that lies about its sizes while inflating', async () => {
    // 8 MiB of whitespace after the sheet compresses to a few KiB and is declared as 100 bytes.
    const bomb = handMadeXlsx([['a'], ['1']], { trailingSpaces: 8 * 1024 * 1024, declaredSheetSize: 100 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    // (The whitespace is one 8 MiB run of text, which MAX_CELL_CHARS would refuse first.)
    const cells = { maxCellChars: 2 * 1024 * 1024 };
    expectFileReadError(await openError(bomb, { maxXlsxUncompressedBytes: 1024 * 1024, ...cells }), 'unreadable_file', 'XLSX expands to more than 1048576 bytes.');
    // The same file is fine under the default limit: the guard counts, it does not guess.
    expect((await readAll(bomb, cells)).rows).toEqual([{ row: 1, values: { a: '1' } }]);
  });

  it('rejects truncated, corrupted and non-workbook zips as unreadable', async () => {
    const buf = await workbookBuffer((wb) => wb.addWorksheet('S').addRows([['a'], ['1']]));
    expectFileReadError(await openError(buf.subarray(0, buf.length - 100)), 'unreadable_file', /corrupted or not an XLSX file/);

    const damaged = handMadeXlsx([['a'], ['1']]);
    const sheetAt = damaged.indexOf('xl/worksheets/sheet1.xml') + 'xl/worksheets/sheet1.xml'.length;
    damaged.fill(0xff, sheetAt + 5, sheetAt + 40); // garbage in the middle of the deflated sheet
    expectFileReadError(await openError(damaged), 'unreadable_file', /corrupted or not an XLSX file/);

    const notXml = buildZip([
      { name: 'xl/workbook.xml', data: '<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>' },
      { name: 'xl/worksheets/sheet1.xml', data: '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c <<</row></sheetData></worksheet>' },
    ]);
    expectFileReadError(await openError(notXml), 'unreadable_file', /corrupted or not an XLSX file/);

    const docx = buildZip([{ name: 'word/document.xml', data: '<document/>' }]);
    expectFileReadError(await openError(docx), 'unreadable_file', /not an Excel workbook/);
    expect(readdirSync(tempDir)).toEqual([]);
  });
});
