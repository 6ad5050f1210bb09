import { describe, expect, it } from 'vitest';
import { parseDataUrl } from '../../src/files/data-url.js';
import { openRows } from '../../src/files/open-rows.js';
import { expectFileReadError } from './helpers.js';

const EXPECTED = 'data must be an array of objects or a base64 data URL such as data:text/csv;base64,…';

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseDataUrl', () => {
  const csv = 'a,b\n1,é\n';
  const b64 = Buffer.from(csv).toString('base64');

  it('decodes base64 data URLs of any media type, with or without parameters', () => {
    for (const prefix of [
      'data:text/csv;base64,',
      'data:text/csv;charset=utf-8;base64,',
      'data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,',
      'data:;base64,',
      'DATA:TEXT/CSV;BASE64,',
    ]) {
      expect(parseDataUrl(prefix + b64).toString('utf8')).toBe(csv);
    }
  });

  it('accepts URL-safe base64, missing padding and line-wrapped payloads', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x00, 0x41]);
    const standard = bytes.toString('base64'); // "+/+/AEE="
    expect(parseDataUrl(`data:x/y;base64,${bytes.toString('base64url')}`)).toEqual(bytes);
    expect(parseDataUrl(`data:x/y;base64,${standard.slice(0, 4)}\n${standard.slice(4)}`)).toEqual(bytes);
  });

  it('feeds straight into openRows', async () => {
    const source = await openRows(parseDataUrl(`data:text/csv;base64,${b64}`));
    const rows = [];
    for await (const row of source.rows) rows.push(row);
    expect(rows).toEqual([{ row: 1, line: 2, values: { a: '1', b: 'é' } }]);
  });

  it.each([
    ['plain text', 'a,b\n1,2'],
    ['a non-base64 data URL', 'data:text/csv,a%2Cb'],
    ['an http URL', 'https://example.com/file.csv'],
    ['invalid base64', 'data:text/csv;base64,@@@@'],
    ['truncated base64', 'data:text/csv;base64,QUJDR'],
  ])('rejects %s', (_name, input) => {
    expectFileReadError(errorOf(() => parseDataUrl(input)), 'unreadable_file', EXPECTED);
  });
});
