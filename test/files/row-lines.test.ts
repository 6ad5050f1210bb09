import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readWithLines } from './helpers.js';

// Each reader's `line`: where a person finds the row in the file (see SourceRow.line).

const lines = async (input: Buffer | string) => (await readWithLines(input)).rows.map((r) => [r.row, r.line]);

describe('row lines', () => {
  it('CSV: the physical line a record starts on, quoted line breaks (LF, CRLF, CR) and blank lines counted', async () => {
    expect(await lines('a,b\n1,"x\ny"\n2,z\n\n3,"p\r\nq\rr"\n4,w\n')).toEqual([
      [1, 2],
      [2, 4],
      [4, 6], // the blank line 5 is record 3, skipped
      [5, 9],
    ]);
    // Blank lines before the header count too: the header is on line 3 here.
    expect(await lines('\n\na;b\n1;2\n')).toEqual([[1, 4]]);
  });

  it('CSV: the same lines whatever the chunking of the stream', async () => {
    const { Readable } = await import('node:stream');
    const text = 'a,b\n' + Array.from({ length: 200 }, (_, i) => `${i},"multi\nline ${i}"`).join('\n') + '\n';
    const chunks = Readable.from(Buffer.from(text).reduce<Buffer[]>((acc, _b, i, all) => (i % 7 === 0 ? [...acc, Buffer.from(all.subarray(i, i + 7))] : acc), []));
    const got = (await readWithLines(chunks)).rows.map((r) => r.line);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => 2 + 2 * i));
  });

  it('XLSX: the sheet row number', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('S');
    ws.getRow(2).values = ['a', 'b'];
    ws.getRow(3).values = [1, 2];
    ws.getRow(7).values = [3, 4];
    expect(await lines(Buffer.from(await wb.xlsx.writeBuffer()))).toEqual([
      [1, 3],
      [5, 7],
    ]);
  });

  it('NDJSON: the physical line; a JSON array: none (row + 1 is used downstream)', async () => {
    expect(await lines('{"a":1}\n\n{"a":2}\nnot json\n')).toEqual([
      [1, 1],
      [2, 3],
      [3, 4],
    ]);
    expect(await lines('[{"a":1},\n{"a":2}]')).toEqual([
      [1, undefined],
      [2, undefined],
    ]);
  });
});
