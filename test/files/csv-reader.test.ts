import { describe, expect, it } from 'vitest';
import { chunked, expectFileReadError, openError, readAll, readUntilError, utf16be, utf16le } from './helpers.js';

describe('CSV: delimiters', () => {
  it.each([
    ['comma', 'a,b\n1,2\n'],
    ['semicolon', 'a;b\n1;2\n'],
    ['tab', 'a\tb\n1\t2\n'],
    ['pipe', 'a|b\n1|2\n'],
  ])('detects %s from the header line', async (_name, text) => {
    const { format, headers, rows } = await readAll(text);
    expect(format).toBe('csv');
    expect(headers).toEqual(['a', 'b']);
    expect(rows).toEqual([{ row: 1, values: { a: '1', b: '2' } }]);
  });

  it('keeps commas inside semicolon-separated values (European decimals)', async () => {
    const { rows } = await readAll('price;qty\n1,50;2,5\n');
    expect(rows[0]?.values).toEqual({ price: '1,50', qty: '2,5' });
  });

  it('ignores delimiters inside a quoted header cell', async () => {
    const { headers, rows } = await readAll('"Last, First";City\n"Doe, Jane";Paris\n');
    expect(headers).toEqual(['Last, First', 'City']);
    expect(rows[0]?.values).toEqual({ 'Last, First': 'Doe, Jane', City: 'Paris' });
  });

  it('reads a single-column file', async () => {
    const { headers, rows } = await readAll('email\na@x.io\nb@x.io');
    expect(headers).toEqual(['email']);
    expect(rows.map((r) => r.values)).toEqual([{ email: 'a@x.io' }, { email: 'b@x.io' }]);
  });
});

describe('CSV: records and row numbers', () => {
  it('keeps newlines inside quoted fields and numbers rows by record, not by line', async () => {
    const { rows } = await readAll('name,note\nAnn,"line one\nline two\nline three"\nBob,plain\n"Cy","say ""hi"""\n');
    expect(rows).toEqual([
      { row: 1, values: { name: 'Ann', note: 'line one\nline two\nline three' } },
      { row: 2, values: { name: 'Bob', note: 'plain' } },
      { row: 3, values: { name: 'Cy', note: 'say "hi"' } },
    ]);
  });

  it('reads CRLF files, including CRLF inside quoted fields', async () => {
    const { rows } = await readAll('a,b\r\n1,"x\r\ny"\r\n2,z\r\n');
    expect(rows).toEqual([
      { row: 1, values: { a: '1', b: 'x\r\ny' } },
      { row: 2, values: { a: '2', b: 'z' } },
    ]);
  });

  it('skips blank rows but keeps counting them, and skips blank lines before the header', async () => {
    const { headers, rows } = await readAll('\n\na,b\n1,2\n\n , \n,,\n3,4\n\n');
    expect(headers).toEqual(['a', 'b']);
    expect(rows).toEqual([
      { row: 1, values: { a: '1', b: '2' } },
      { row: 5, values: { a: '3', b: '4' } },
    ]);
  });

  it('yields zero rows for a header-only file', async () => {
    expect((await readAll('a,b,c\n')).rows).toEqual([]);
    expect((await readAll('a,b,c')).rows).toEqual([]);
  });

  it('keeps values exactly as written (no trimming, no typing)', async () => {
    const { rows } = await readAll('a,b,c\n  x  ,007,"  "\n');
    expect(rows[0]?.values).toEqual({ a: '  x  ', b: '007', c: '  ' });
  });

  it('leaves missing trailing cells absent', async () => {
    const { rows } = await readAll('a,b,c\n1\n1,2\n');
    expect(rows.map((r) => r.values)).toEqual([{ a: '1' }, { a: '1', b: '2' }]);
  });

  it('reports extra cells as a parse error instead of keeping them', async () => {
    const { rows } = await readAll('a,b,c,d,e\n1,2,3,4,5,6,7\n1,2,3,4,5,,\n');
    expect(rows[0]?.values).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '5', __parse_error: 'Row has 7 cells but the header has 5' });
    // Trailing empty cells (a trailing delimiter) are not extra data.
    expect(rows[1]?.values).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '5' });
  });

  it('treats a quote inside an unquoted field as a character', async () => {
    const { rows } = await readAll('name,height\nAl,5\'10"\n');
    expect(rows[0]?.values).toEqual({ name: 'Al', height: '5\'10"' });
  });

  it('issue 18 item 8: a never-closed quote fails the file, naming the line where it opened', async () => {
    // Before, the rest of the file became one cell of one row and the import completed.
    const { rows, error } = await readUntilError(Buffer.from('a,b\n1,2\n3,"oops\n4,5\n'));
    expect(rows).toEqual([{ row: 1, values: { a: '1', b: '2' } }]);
    expectFileReadError(error, 'unreadable_file', /^A quoted field opened on line 3 is never closed/);
    // Lines inside earlier quoted fields count: the quote below opens on line 5.
    const later = await readUntilError(Buffer.from('a,b\n"x\ny",1\n2,2\n3,"oops\n4,5\n'));
    expectFileReadError(later.error, 'unreadable_file', /^A quoted field opened on line 5 is never closed/);
  });

  it('flags a stray quote inside a quoted field', async () => {
    const { rows } = await readAll('a,b\n"x"y",2\n3,4\n');
    expect(rows[0]?.values.__parse_error).toMatch(/stray "/);
    expect(rows[1]).toEqual({ row: 2, values: { a: '3', b: '4' } });
  });

  it('fails mid-stream, after the rows before it, when a record exceeds maxRecordChars', async () => {
    const good = Array.from({ length: 2000 }, (_, i) => `${i},ok`).join('\n');
    const text = `a,b\n${good}\n1,"never closed${' x'.repeat(50_000)}`;
    const { rows, error } = await readUntilError(Buffer.from(text), { maxRecordChars: 10_000 });
    expect(rows).toHaveLength(2000);
    expectFileReadError(error, 'unreadable_file', 'Row 2001 (from line 2002) is longer than 10000 characters; a quoted field is probably never closed.');
  });
});

describe('CSV: encodings', () => {
  const expected = [{ row: 1, values: { Name: 'José', City: 'Köln' } }, { row: 2, values: { Name: 'Zoë “Z”', City: '€ 5 — ok' } }];
  const text = 'Name,City\r\nJosé,Köln\r\nZoë “Z”,€ 5 — ok\r\n';

  it('reads UTF-8 without BOM', async () => {
    expect((await readAll(Buffer.from(text, 'utf8'))).rows).toEqual(expected);
  });

  it('reads UTF-8 with BOM (the BOM is not part of the first header)', async () => {
    const { headers, rows } = await readAll(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(headers).toEqual(['Name', 'City']);
    expect(rows).toEqual(expected);
  });

  it('reads UTF-16 LE and BE with BOM', async () => {
    expect((await readAll(utf16le(text))).rows).toEqual(expected);
    expect((await readAll(utf16be(text))).rows).toEqual(expected);
  });

  it('reads UTF-16 LE without BOM', async () => {
    expect((await readAll(Buffer.from(text, 'utf16le'))).rows).toEqual(expected);
  });

  it('reads Windows-1252 when the bytes are not valid UTF-8, including the 0x80–0x9F range', async () => {
    // "José;Köln" / "Zoë “Z”;€ 5 — ok" as Excel on Windows saves them.
    const bytes = Buffer.concat([
      Buffer.from('Name;City\r\nJos', 'latin1'),
      Buffer.from([0xe9]),
      Buffer.from(';K', 'latin1'),
      Buffer.from([0xf6]),
      Buffer.from('ln\r\nZo', 'latin1'),
      Buffer.from([0xeb, 0x20, 0x93, 0x5a, 0x94]),
      Buffer.from(';', 'latin1'),
      Buffer.from([0x80]),
      Buffer.from(' 5 ', 'latin1'),
      Buffer.from([0x97]),
      Buffer.from(' ok\r\n', 'latin1'),
    ]);
    expect((await readAll(bytes)).rows).toEqual(expected);
  });

  it('survives characters, CRLFs and BOMs cut across stream chunks', async () => {
    for (const bytes of [Buffer.from(text), utf16le(text), utf16be(text)]) {
      for (const size of [1, 3, 7]) expect((await readAll(chunked(bytes, size))).rows).toEqual(expected);
    }
  });

  it('is not fooled by a UTF-8 character cut at the end of the sniffed 64 KiB', async () => {
    const head = 'a,b\n';
    const pad = 'x'.repeat(64 * 1024 - 1 - head.length - 1); // puts "é" at bytes 65535–65536
    const bytes = Buffer.from(`${head}${pad},é\n1,ü\n`);
    expect(bytes.indexOf(Buffer.from('é'))).toBe(64 * 1024 - 1);
    const { rows } = await readAll(bytes);
    expect(rows.map((r) => r.values.b)).toEqual(['é', 'ü']);
  });

  it('decides the encoding from the first 64 KiB; a bad byte later becomes U+FFFD in that cell only, and a parse error for its row (issue 18 item 8)', async () => {
    const filler = Array.from({ length: 10_000 }, (_, i) => `row${i},ok`).join('\n');
    const bytes = Buffer.concat([Buffer.from(`a,b\n${filler}\nlast,caf`), Buffer.from([0xe9]), Buffer.from('\n')]);
    const { rows } = await readAll(bytes);
    expect(rows).toHaveLength(10_001);
    expect(rows[10_000]?.values).toEqual({ a: 'last', b: 'caf\uFFFD', __parse_error: expect.stringMatching(/not valid in the file's encoding/) });
    expect(rows[9_999]?.values).toEqual({ a: 'row9999', b: 'ok' });
  });
});

describe('CSV: headers', () => {
  it('trims headers', async () => {
    expect((await readAll(' a ,\tb\n1,2\n')).headers).toEqual(['a', 'b']);
  });

  it('rejects a blank header, naming the column', async () => {
    expectFileReadError(await openError('a,,c\n1,2,3\n'), 'invalid_header', 'Column 2 has a blank header.');
    expectFileReadError(await openError(' ,b\n1,2\n'), 'invalid_header', 'Column 1 has a blank header.');
  });

  it('rejects duplicate headers, ignoring case', async () => {
    expectFileReadError(await openError('Name,Email,x,y,Email\n'), 'invalid_header', 'Header "Email" appears twice (columns 2 and 5).');
    expectFileReadError(
      await openError('Email,email\n'),
      'invalid_header',
      'Headers "Email" and "email" differ only in case (columns 1 and 2); headers must be unique ignoring case.',
    );
  });

  it('drops blank headers at the end of the header row (Excel export padding)', async () => {
    const { headers, rows } = await readAll('a,b,,\n1,2,,\n3,4,,x\n');
    expect(headers).toEqual(['a', 'b']);
    expect(rows[0]?.values).toEqual({ a: '1', b: '2' });
    // Data under a dropped column has nowhere to go: a row error, not a silent loss.
    expect(rows[1]?.values).toEqual({ a: '3', b: '4', __parse_error: 'Row has 4 cells but the header has 2' });
  });

  it('rejects a header row with an unclosed quote', async () => {
    expectFileReadError(await openError('"a,b\n1,2\n'), 'unreadable_file', /^A quoted field opened on line 1 is never closed/);
  });
});

describe('issue 18 item 1: CSV column count and cell size limits', () => {
  it('refuses a header with more columns than maxColumns, naming the limit', async () => {
    const header = Array.from({ length: 11 }, (_, i) => `h${i}`).join(',');
    expectFileReadError(await openError(`${header}\n1\n`, { maxColumns: 10 }), 'unreadable_file', /11 columns; at most 10 .*MAX_COLUMNS/);
  });

  it('a cell longer than maxCellChars is a parse error for its row only', async () => {
    const { rows } = await readAll(`a,b\n1,${'x'.repeat(101)}\n2,ok\n`, { maxCellChars: 100 });
    expect(rows[0]?.values.__parse_error).toMatch(/Column 2 is longer than 100 characters \(the limit MAX_CELL_CHARS\)/);
    expect(rows[1]).toEqual({ row: 2, values: { a: '2', b: 'ok' } });
  });
});
