import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.js';
import { startService, type TestService } from '../support/service.js';

// The `sql` tag (src/db/sql.ts): it numbers parameters itself, never puts a value in the text,
// renumbers nested fragments, and takes identifiers only when they look like one.

describe('sql tag', () => {
  it('numbers parameters in order and keeps values out of the text', () => {
    const evil = "x'; DROP TABLE imports; --";
    const q = sql`SELECT * FROM imports WHERE id = ${evil} AND organization_id = ${'org_1'} AND status = ${'queued'}`.compile();
    expect(q.text).toBe('SELECT * FROM imports WHERE id = $1 AND organization_id = $2 AND status = $3');
    expect(q.values).toEqual([evil, 'org_1', 'queued']);
    expect(q.text).not.toContain('DROP');
  });

  it('renumbers nested fragments into the outer statement', () => {
    const inner = sql`r.row BETWEEN ${10} AND ${20}`;
    const q = sql`SELECT ${'a'} FROM import_rows r WHERE r.import_id = ${'imp_1'} AND ${inner} AND ${sql`r.ident = ${'b'}`}`.compile();
    expect(q.text).toBe('SELECT $1 FROM import_rows r WHERE r.import_id = $2 AND r.row BETWEEN $3 AND $4 AND r.ident = $5');
    expect(q.values).toEqual(['a', 'imp_1', 10, 20, 'b']);
  });

  it('gives a value used several times one parameter, and a labelled param one number', () => {
    const id = sql.param('imp_1', 'import id');
    const live = sql`r.import_id = ${id}`;
    const q = sql`SELECT ${1}, ${'1'} FROM import_rows r WHERE ${live} AND EXISTS (SELECT 1 WHERE ${live}) AND ${1} = ${1}`.compile();
    expect(q.text).toBe('SELECT $1, $2 FROM import_rows r WHERE r.import_id = $3 AND EXISTS (SELECT 1 WHERE r.import_id = $3) AND $1 = $1');
    expect(q.values).toEqual([1, '1', 'imp_1']);
    expect(q.labels).toEqual([undefined, undefined, 'import id']);
  });

  it('joins fragments and values with a separator', () => {
    const q = sql`SELECT ${sql.join([sql`a = ${1}`, sql`b = ${2}`], ' AND ')}, ${sql.join(['x', 'y'], ', ')}${sql.join([], ', ')}`.compile();
    expect(q.text).toBe('SELECT a = $1 AND b = $2, $3, $4');
    expect(q.values).toEqual([1, 2, 'x', 'y']);
  });

  it('accepts identifiers that look like one, and refuses anything else', () => {
    expect(sql`SELECT t.${sql.ident('serial_number')} FROM ${sql.ident('assets')} t`.compile().text).toBe('SELECT t.serial_number FROM assets t');
    for (const bad of ['Contacts', 'a b', 'x;drop', '"q"', '1abc', '', 'a-b', 'tbl.col']) {
      expect(() => sql.ident(bad), bad).toThrow(/identifier/);
    }
  });

  it('refuses undefined, and extra parameters beside a built statement', async () => {
    expect(() => sql`SELECT ${undefined}`.compile()).toThrow(/undefined/);
  });
});

describe('a built statement on the engine', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.close());

  it('runs with its parameters, compiled or not, beside plain (text, params) calls', async () => {
    const evil = "o'; DROP TABLE imports; --";
    const frag = sql`SELECT ${evil}::text AS s, ${sql`${2}::int + ${3}::int`} AS n, ${evil}::text = ${evil}::text AS same`;
    expect((await svc.db.query(frag)).rows).toEqual([{ s: evil, n: 5, same: true }]);
    expect((await svc.db.query(frag.compile())).rows).toEqual([{ s: evil, n: 5, same: true }]);
    expect((await svc.db.query('SELECT $1::int AS n', [7])).rows).toEqual([{ n: 7 }]);
    await expect(svc.db.query(frag, [1])).rejects.toThrow(/own parameters/);
    const inTx = await svc.db.transaction((tx) => tx.query<{ n: number }>(sql`SELECT ${41}::int + 1 AS n`));
    expect(inTx.rows).toEqual([{ n: 42 }]);
  });
});
