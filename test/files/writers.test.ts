import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csvSafeCell, csvStream } from '../../src/files/writers/csv-stream.js';
import { jsonArrayStream } from '../../src/files/writers/json-array-stream.js';
import { readAll } from './helpers.js';

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The writers take pages: `items` split into pages of three. */
async function* from<T>(items: T[]): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += 3) yield items.slice(i, i + 3);
}

describe('csvSafeCell', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'],
    ['a=b', 'a=b'],
    ['plain', 'plain'],
    ['', ''],
  ])('neutralises %j as %j', (input, expected) => {
    expect(csvSafeCell(input)).toBe(expected);
  });

  it('renders non-strings; numbers are numbers, not formulas', () => {
    expect(csvSafeCell(null)).toBe('');
    expect(csvSafeCell(undefined)).toBe('');
    expect(csvSafeCell(-5)).toBe('-5');
    expect(csvSafeCell(2.5)).toBe('2.5');
    expect(csvSafeCell(true)).toBe('true');
    expect(csvSafeCell(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('2024-01-02T03:04:05.000Z');
    expect(csvSafeCell({ a: 1 })).toBe('{"a":1}');
    expect(csvSafeCell(['=x', 2])).toBe('["=x",2]');
  });
});

describe('csvStream', () => {
  it('writes BOM, CRLF, RFC 4180 quoting, neutralised cells and JSON for objects', async () => {
    const out = csvStream(
      ['name', 'note'],
      from<unknown[]>([
        ['Ann', 'a,b'],
        ['he said "hi"', 'line\nbreak'],
        ['=cmd|/c calc', { tags: ['x'] }],
        ['short'],
        ['-2+3', 7],
      ]),
    );
    const bytes = Buffer.from(await text(out), 'utf8');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe(
      'name,note\r\n' +
        'Ann,"a,b"\r\n' +
        '"he said ""hi""","line\nbreak"\r\n' +
        '\'=cmd|/c calc,"{""tags"":[""x""]}"\r\n' +
        'short,\r\n' +
        "'-2+3,7\r\n",
    );
  });

  it('round-trips through the CSV reader', async () => {
    const rows = [
      ['é ü €', 'multi\r\nline'],
      ['"quoted"', ''],
    ];
    const csv = Buffer.from(await text(csvStream(['a', 'b'], from(rows))), 'utf8');
    const read = await readAll(csv);
    expect(read.headers).toEqual(['a', 'b']);
    expect(read.rows.map((r) => r.values)).toEqual([
      { a: 'é ü €', b: 'multi\r\nline' },
      { a: '"quoted"', b: '' },
    ]);
  });

  it('pulls rows only as the consumer reads (backpressure)', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<unknown[][]> {
      for (;;) {
        produced++;
        yield [[produced, 'some text for the row']];
      }
    }
    const out = csvStream(['n', 't'], endless());
    for await (const chunk of out) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break;
    }
    expect(out.destroyed).toBe(true);
    expect(produced).toBeLessThan(20_000);
  });
});

describe('jsonArrayStream', () => {
  it('streams "[\\n" + items joined by ",\\n" + "\\n]"', async () => {
    const out = await text(jsonArrayStream(from([1, { a: 'x', n: [1, 2] }, undefined, 'é'])));
    expect(out).toBe('[\n1,\n{"a":"x","n":[1,2]},\nnull,\n"é"\n]');
    expect(JSON.parse(out)).toEqual([1, { a: 'x', n: [1, 2] }, null, 'é']);
  });

  it('writes valid JSON for no items', async () => {
    const out = await text(jsonArrayStream(from([])));
    expect(JSON.parse(out)).toEqual([]);
  });

  it('pulls items only as the consumer reads (backpressure)', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<unknown[]> {
      for (;;) yield [{ n: ++produced }];
    }
    const out = jsonArrayStream(endless());
    for await (const chunk of out) {
      expect((chunk as Buffer).toString('utf8').startsWith('[\n{"n":1}')).toBe(true);
      break;
    }
    expect(produced).toBeLessThan(20_000);
  });

  it('large outputs parse back completely', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ row: i + 1, message: `m${i}` }));
    const out = await text(jsonArrayStream(from(items)));
    expect(JSON.parse(out)).toEqual(items);
  });
});
