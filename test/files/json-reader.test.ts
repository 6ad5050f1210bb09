import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { expectFileReadError, openError, readAll, readUntilError } from './helpers.js';

describe('JSON array', () => {
  it('yields each object as is, nested values included; headers are the first object’s keys', async () => {
    const { format, headers, rows } = await readAll('[{"email":"a@x.io","tags":["x","y"],"meta":{"n":1}},{"email":"b@x.io","n":2.5,"ok":true,"none":null}]');
    expect(format).toBe('json');
    expect(headers).toEqual(['email', 'tags', 'meta']);
    expect(rows).toEqual([
      { row: 1, values: { email: 'a@x.io', tags: ['x', 'y'], meta: { n: 1 } } },
      { row: 2, values: { email: 'b@x.io', n: 2.5, ok: true, none: null } },
    ]);
  });

  it('turns a non-object element into a row with a parse error, and keeps going', async () => {
    const { headers, rows } = await readAll('[5, "x", null, [1], {"a":1}, true]');
    expect(headers).toEqual(['a']);
    expect(rows).toEqual([
      { row: 1, values: { __parse_error: 'Element 1 is a number; expected an object' } },
      { row: 2, values: { __parse_error: 'Element 2 is a string; expected an object' } },
      { row: 3, values: { __parse_error: 'Element 3 is null; expected an object' } },
      { row: 4, values: { __parse_error: 'Element 4 is an array; expected an object' } },
      { row: 5, values: { a: 1 } },
      { row: 6, values: { __parse_error: 'Element 6 is a boolean; expected an object' } },
    ]);
  });

  it('reads an empty array as no rows', async () => {
    expect(await readAll(' [ ] ')).toEqual({ format: 'json', headers: [], rows: [] });
  });

  it('fails mid-stream on malformed JSON, after yielding every element before the error', async () => {
    const good = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: i, name: `name ${i}` }));
    const text = `[${good.join(',\n')},\n{"id": 1,, "x": 2}]`;
    const { rows, error } = await readUntilError(Readable.from([Buffer.from(text)]));
    expect(rows).toHaveLength(3000);
    expect(rows[2999]).toEqual({ row: 3000, values: { id: 2999, name: 'name 2999' } });
    expectFileReadError(error, 'unreadable_file', /^Invalid JSON near byte \d+: expected an object key$/);
    // The position is approximate (stream-json does not report one) but close.
    const at = Number(/byte (\d+)/.exec((error as Error).message)?.[1]);
    expect(Math.abs(at - text.indexOf(',,'))).toBeLessThan(4096);
  });

  it('fails on a truncated array and on trailing garbage', async () => {
    expectFileReadError(await openError('[{"a":1},{"a":'), 'unreadable_file', /^Invalid JSON near byte \d+: the file ends before the JSON is complete/);
    const { rows, error } = await readUntilError(Buffer.from('[{"a":1}] trailing'));
    expect(rows).toEqual([{ row: 1, values: { a: 1 } }]);
    expectFileReadError(error, 'unreadable_file', /^Invalid JSON near byte \d+: /);
  });

  it('fails when one element exceeds maxRecordChars', async () => {
    const text = `[{"a":1},{"big":"${'x'.repeat(50_000)}"}]`;
    const { rows, error } = await readUntilError(Buffer.from(text), { maxRecordChars: 10_000 });
    expect(rows).toEqual([{ row: 1, values: { a: 1 } }]);
    expectFileReadError(error, 'unreadable_file', 'An element of the JSON array is longer than 10000 characters.');
  });
});

describe('NDJSON', () => {
  it('reads one object per line; blank lines are allowed and not counted; bad lines become row errors', async () => {
    const text = '{"a":1}\r\n\r\n{"a":2,"list":[1,2]}\n{bad json}\n5\n\n   \n{"b":3}';
    const { format, headers, rows } = await readAll(text);
    expect(format).toBe('ndjson');
    expect(headers).toEqual(['a']);
    expect(rows[0]).toEqual({ row: 1, values: { a: 1 } });
    expect(rows[1]).toEqual({ row: 2, values: { a: 2, list: [1, 2] } });
    expect(rows[2]?.row).toBe(3);
    expect(rows[2]?.values.__parse_error).toMatch(/^Line 4 is not valid JSON: /);
    expect(rows[3]).toEqual({ row: 4, values: { __parse_error: 'Line 5 is a number; expected an object' } });
    expect(rows[4]).toEqual({ row: 5, values: { b: 3 } });
    expect(rows).toHaveLength(5);
  });

  it('takes headers from the first object even when earlier lines are bad', async () => {
    const { headers, rows } = await readAll('{oops\n{"x":1,"y":2}\n');
    expect(headers).toEqual(['x', 'y']);
    expect(rows).toHaveLength(2);
  });

  it('handles lines cut across stream chunks', async () => {
    const text = Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, s: 'é'.repeat(i) })).join('\n');
    const bytes = Buffer.from(text);
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 13) pieces.push(bytes.subarray(i, i + 13));
    const { rows } = await readAll(Readable.from(pieces));
    expect(rows.map((r) => r.values)).toEqual(text.split('\n').map((l) => JSON.parse(l) as unknown));
  });

  it('fails when a line exceeds maxRecordChars', async () => {
    const text = `{"a":1}\n{"a":"${'x'.repeat(100_000)}"}\n`;
    const { rows, error } = await readUntilError(Buffer.from(text), { maxRecordChars: 10_000 });
    expect(rows).toHaveLength(1);
    expectFileReadError(error, 'unreadable_file', 'Line 2 is longer than 10000 characters.');
  });
});
