import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { openRows } from '../../src/files/open-rows.js';
import { expectFileReadError, openError, readAll, utf16le } from './helpers.js';

describe('format sniffing (by content only)', () => {
  it('recognises each format from its first bytes', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('S').addRow(['a']);
    expect((await readAll(Buffer.from(await wb.xlsx.writeBuffer()))).format).toBe('xlsx');
    expect((await readAll('[{"a":1}]')).format).toBe('json');
    expect((await readAll('{"a":1}\n')).format).toBe('ndjson');
    expect((await readAll('a,b\n1,2')).format).toBe('csv');
  });

  it('looks past a BOM and leading whitespace', async () => {
    expect((await readAll('\uFEFF \r\n\t[{"a":1}]')).format).toBe('json');
    expect((await readAll('\n\n  {"a":1}')).format).toBe('ndjson');
    expect((await readAll(utf16le('  [{"a":"é"}]'))).rows).toEqual([{ row: 1, values: { a: 'é' } }]);
  });

  it('rejects an empty or whitespace-only file', async () => {
    expectFileReadError(await openError(''), 'unreadable_file', 'The file is empty.');
    expectFileReadError(await openError(' \r\n\n '), 'unreadable_file', 'The file is empty.');
  });

  it('says what a legacy .xls / encrypted workbook is instead of reading garbage', async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512)]);
    expectFileReadError(await openError(ole), 'unreadable_file', /legacy \.xls or a password-protected/);
  });

  it('rejects binary content', async () => {
    const binary = Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7919) % 256));
    expectFileReadError(await openError(binary), 'unreadable_file', /binary/);
  });

  it('reads from a stream as well as from a Buffer', async () => {
    const { rows } = await readAll(Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]));
    expect(rows).toEqual([{ row: 1, values: { a: '1', b: '2' } }]);
  });
});

describe('RowSource ownership', () => {
  it('rows can be iterated only once', async () => {
    const source = await openRows(Buffer.from('a\n1\n2\n'));
    const first: unknown[] = [];
    for await (const row of source.rows) first.push(row);
    expect(first).toHaveLength(2);
    expect(() => source.rows[Symbol.asyncIterator]()).toThrow(/only be iterated once/);
  });

  it('destroys the input stream when the caller stops early or closes without iterating', async () => {
    const lines = (function* () {
      yield 'a\n';
      for (let i = 0; ; i += 1000) yield Array.from({ length: 1000 }, (_, j) => `${i + j}\n`).join('');
    })();
    const early = Readable.from(lines);
    const source = await openRows(early);
    for await (const row of source.rows) if (row.row === 3) break;
    expect(early.destroyed).toBe(true);

    const unread = Readable.from(['a\n', '1\n']);
    const never = await openRows(unread);
    await never.close();
    await never.close(); // idempotent
    expect(unread.destroyed).toBe(true);
  });

  it('does not let an undefined limit override a default', async () => {
    expect((await readAll('a\n1\n', { maxRecordChars: undefined })).rows).toHaveLength(1);
  });

  it('keeps a header literally named __proto__ as an own value', async () => {
    const { rows } = await readAll('__proto__,b\nx,y\n');
    expect(Object.keys(rows[0]?.values ?? {})).toEqual(['__proto__', 'b']);
    expect(rows[0]?.values.__proto__).toBe('x');
  });
});
