import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importer } from '../support/imports.js';
import { startService, statsAddUp, type TestService } from '../support/service.js';
import { uploadAndSettle } from '../support/uploads.js';

// Issue 18 items 3, 4 and 8: values PostgreSQL would refuse, deep nesting, and the small
// things that were 500s, silently changed values or a lost file. Each through the API, on the
// engine the suite runs on (PGlite, or PostgreSQL with DATABASE_URL).

let svc: TestService;
let key: string;
let imp: ReturnType<typeof importer>;

beforeAll(async () => {
  svc = await startService();
  key = await svc.newOrg();
  imp = importer(svc, key);
});
afterAll(async () => svc?.close());

const LONE = '\uD800';
const sha = (s: string | Buffer) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

async function errorsOf(id: string): Promise<{ row: number; code: string; field: string | null; message: string; data: any }[]> {
  return imp.errors(id);
}

/** JSON text of "x" inside `depth` arrays, written as text (JSON.stringify itself would recurse that deep). */
function nestedText(depth: number): string {
  return '['.repeat(depth) + '"x"' + ']'.repeat(depth);
}

function nested(depth: number): unknown {
  return JSON.parse(nestedText(depth));
}

/** A row's keys and values in a stable order (jsonb keeps its own key order). */
const entries = (o: object) => Object.entries(o).sort(([a], [b]) => a.localeCompare(b));

const post = (body: string) =>
  svc.app.inject({ method: 'POST', url: '/v1/imports', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: body });

describe('issue 18 item 3: every value PostgreSQL could refuse is a row error with its field; the import completes', () => {
  const rows = [
    { external_id: 'ok-1', name: 'Fine' },
    { external_id: 'nul-name', name: 'Bad\u0000Name' },
    { external_id: 'nul-meta', name: 'Meta', metadata: { note: 'a\u0000b' } },
    { external_id: 'lone-meta', name: 'Meta', metadata: { note: `x${LONE}y` } },
    { external_id: 'lone-key', name: 'Meta', metadata: { [`k${LONE}`]: 1 } },
    { external_id: 'lone-text', name: `Ann${LONE}` },
    { external_id: 'meta-text', name: 'Meta', metadata: '{"note":"\\u0000"}' },
    { external_id: 'ok-2', name: 'Also fine', metadata: { deep: { er: [1, 2, { x: 'y' }] } } },
  ];
  const expected = new Map([
    ['nul-name', 'name'],
    ['nul-meta', 'metadata'],
    ['lone-meta', 'metadata'],
    ['lone-key', 'metadata'],
    ['lone-text', 'name'],
    ['meta-text', 'metadata'],
  ]);

  it('sync (never a 500)', async () => {
    const done = await imp.merge('contact', rows);
    expect(done.status, done.reason).toBe('completed');
    expect(done.stats).toMatchObject({ total: 8, created: 2, errors: 6 });
    expect(statsAddUp(done.stats)).toBe(true);
    const errors = await errorsOf(done.id);
    expect(errors.map((e) => [rows[e.row - 1]!.external_id, e.field, e.code])).toEqual(
      [...expected].map(([id, field]) => [id, field, 'invalid_value']),
    );
    expect(errors.find((e) => e.field === 'name')!.message).toMatch(/NUL character/);
    expect(errors.filter((e) => /surrogate/.test(e.message))).toHaveLength(3);
  });

  it('async (NDJSON with the same rows), and a date in year 0000', async () => {
    const ndjson = rows.map((r) => JSON.stringify(r)).join('\n');
    const done = await uploadAndSettle(svc, key, ndjson);
    expect(done.status, done.reason).toBe('completed');
    expect(done.stats).toMatchObject({ total: 8, errors: 6 });

    const dates = await uploadAndSettle(svc, key, 'external_id,serial_number,purchased_at\nA1,S1,0000-01-01\nA2,S2,2024-02-30\n', { resource: 'asset' });
    expect(dates.status, dates.reason).toBe('failed'); // no row is valid
    expect(dates.reason).toMatch(/^no_valid_rows/);
    const errors = await errorsOf(dates.id);
    expect(errors.map((e) => [e.row, e.field, e.code])).toEqual([
      [1, 'purchased_at', 'invalid_value'],
      [2, 'purchased_at', 'invalid_value'],
    ]);
    expect(errors[0]!.message).toMatch(/from 0001-01-01/);
  });
});

describe('issue 18 item 4: deep nesting', () => {
  it('sync data nested 10,000 deep → 400 naming the limit, not 500', async () => {
    const res = await post(`{"resource":"contact","action":"merge","upload_mode":"sync","data":[{"external_id":"deep","name":"Deep","metadata":{"v":${nestedText(10_000)}}}]}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect(res.json().error.message).toMatch(/deeper than \d+ levels.*MAX_JSON_DEPTH/);
  });

  it('a field value deeper than the field allows is a row error', async () => {
    const done = await imp.merge('contact', [{ external_id: 'd1', name: 'Deep', metadata: { v: nested(40) } }, { external_id: 'd2', name: 'Flat' }]);
    expect(done.stats).toMatchObject({ total: 2, created: 1, errors: 1 });
    expect((await errorsOf(done.id))[0]).toMatchObject({ row: 1, field: 'metadata', code: 'invalid_value' });
  });

  it('async NDJSON with a value 5,000 deep → a row error; the other rows import', async () => {
    const lines = [
      JSON.stringify({ external_id: 'n1', name: 'One' }),
      `{"external_id":"n2","name":"Deep","metadata":{"v":${nestedText(5_000)}}}`,
      JSON.stringify({ external_id: 'n3', name: 'Three' }),
    ];
    const done = await uploadAndSettle(svc, key, lines.join('\n'));
    expect(done.status, done.reason).toBe('completed');
    expect(done.stats).toMatchObject({ total: 3, errors: 1 });
    const [error] = await errorsOf(done.id);
    expect(error).toMatchObject({ row: 2, code: 'parse_error' });
    expect(error!.message).toMatch(/deeper than 64 levels \(the limit MAX_JSON_DEPTH\)/);
  });

  it('async JSON array with an element 5,000 deep → failed unreadable_file naming the limit', async () => {
    const text = `[{"external_id":"j1","name":"One"},{"external_id":"j2","name":"Deep","metadata":{"v":${nestedText(5_000)}}}]`;
    const done = await uploadAndSettle(svc, key, text);
    expect(done.status).toBe('failed');
    expect(done.reason).toMatch(/^unreadable_file: .*MAX_JSON_DEPTH/);
    expect(statsAddUp(done.stats)).toBe(true);
  });
});

describe('issue 18 item 8: small things that were 500s, silent changes or a lost file', () => {
  it('NUL or a lone surrogate in name, location_id, column_mapping or an id → 400, not 500', async () => {
    const base = { resource: 'contact', action: 'merge', upload_mode: 'async' };
    for (const extra of [
      { name: 'Bad\u0000name' },
      { name: `Bad${LONE}name` },
      { location_id: 'loc_\u0000' },
      { column_mapping: { name: `Full${LONE}` } },
      { column_mapping: { name: 'Full\u0000' } },
    ]) {
      const res = await svc.call('POST', '/v1/imports', key, { ...base, ...extra });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    for (const url of ['/v1/imports/imp_%00', '/v1/imports?status=%00', `/v1/resources/contact/records/con_%00`]) {
      const res = await svc.call('GET', url, key);
      expect(res.status, url).toBe(400);
    }
  });

  it('integers past 2^53 are refused, not rounded into the same id; "0x1F" is not 31', async () => {
    const body = '{"resource":"item","action":"merge","upload_mode":"sync","data":[' +
      '{"external_id":9007199254740993,"name":"A"},{"external_id":9007199254740992,"name":"B"},' +
      '{"external_id":"I3","name":"C","weight":"0x1F"},{"external_id":"I4","name":"D","weight":"1e400"},' +
      '{"external_id":"I5","name":"E","weight":" 31 "}]}';
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(201);
    const done = await svc.settle(res.json().id, key);
    expect(done.stats).toMatchObject({ total: 5, created: 1, errors: 4 });
    const errors = await errorsOf(done.id);
    expect(errors.map((e) => [e.row, e.field])).toEqual([[1, 'external_id'], [2, 'external_id'], [3, 'weight'], [4, 'weight']]);
    expect(errors[0]!.message).toMatch(/beyond 2\^53/);
    expect(errors[2]!.message).toMatch(/decimal number/);
    expect((await imp.byKey('item')).get('I5')).toMatchObject({ weight: 31 });
  });

  it('bad UTF-8 after the first 64 KB is a row error, not a silently replaced character', async () => {
    const filler = Array.from({ length: 3000 }, (_, i) => `F${i},Filler name ${i}`).join('\n');
    const bad = Buffer.concat([Buffer.from(`external_id,name\n${filler}\nBAD,Jos`), Buffer.from([0xe9]), Buffer.from('\nLAST,Fine\n')]);
    expect(bad.indexOf(0xe9)).toBeGreaterThan(64 * 1024);
    const done = await uploadAndSettle(svc, key, bad);
    expect(done.status, done.reason).toBe('completed');
    expect(done.stats).toMatchObject({ total: 3002, errors: 1 });
    const [error] = await errorsOf(done.id);
    expect(error).toMatchObject({ row: 3001, code: 'parse_error' });
    expect(error!.message).toMatch(/not valid in the file's encoding/);
  });

  it('a NUL byte in a CSV cell past the first 64 KB is a row error naming the field, not silently stripped', async () => {
    // (One in the first 64 KB makes the file look binary: unreadable_file.)
    const filler = Array.from({ length: 3000 }, (_, i) => `F${i},Filler name ${i}`).join('\n');
    const done = await uploadAndSettle(svc, key, `external_id,name\n${filler}\nZ1,Ze\u0000ro\nZ2,Fine\n`);
    expect(done.stats).toMatchObject({ total: 3002, errors: 1 });
    const [error] = await errorsOf(done.id);
    expect(error).toMatchObject({ row: 3001, field: 'name', code: 'invalid_value' });
    expect(error!.message).toMatch(/NUL character/);
  });

  it('"__proto__" keys stay in the row and its metadata: the errors file is the row as uploaded', async () => {
    const body = '{"resource":"contact","action":"merge","upload_mode":"sync","data":[' +
      '{"external_id":"P1","__proto__":"kept","metadata":{"__proto__":{"a":1}},"email":"not an email"}]}';
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(201);
    const done = await svc.settle(res.json().id, key);
    const [error] = await errorsOf(done.id);
    expect(error!.field).toBe('email');
    expect(entries(error!.data)).toEqual(entries(JSON.parse('{"external_id":"P1","__proto__":"kept","metadata":{"__proto__":{"a":1}},"email":"not an email"}')));
    expect(Object.keys(error!.data.metadata)).toEqual(['__proto__']);

    const ndjson = '{"external_id":"P2","__proto__":"kept","email":"bad"}';
    const expected = entries(JSON.parse(ndjson));
    expect(expected.map(([k]) => k)).toContain('__proto__');
    const up = await uploadAndSettle(svc, key, ndjson + '\n');
    expect(entries((await errorsOf(up.id))[0]!.data)).toEqual(expected);
    const array = await uploadAndSettle(svc, key, `[${ndjson}]`);
    expect(entries((await errorsOf(array.id))[0]!.data)).toEqual(expected);
  });

  it('the sync checksum is over the bytes of data as sent, not re-serialised JSON', async () => {
    const data = '[ {"external_id" : "K1",  "name":"K\\u00e9"} ]';
    const body = `{"resource":"contact","action":"merge","upload_mode":"sync","checksum":"${sha(data)}","data": ${data} }`;
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().checksum).toBe(sha(data));
    expect(res.json().status).toBe('queued');
  });

  it('a CSV whose quote never closes fails with unreadable_file naming the line where it opened', async () => {
    const done = await uploadAndSettle(svc, key, 'external_id,name\nQ1,Fine\nQ2,"Never closed\nQ3,Swallowed\n');
    expect(done.status).toBe('failed');
    expect(done.reason).toMatch(/^unreadable_file: A quoted field opened on line 3 is never closed/);
  });
});
