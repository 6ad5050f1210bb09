import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { ROW_ERROR_CODES } from '../../src/errors.js';
import { importer, place } from '../support/imports.js';
import { startService, type TestService } from '../support/service.js';

// Migration 0009 lets import_errors hold only the catalog's row error codes.

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

it('lists exactly the catalog’s row error codes, in its order', () => {
  const text = fs.readFileSync(path.join(MIGRATIONS_DIR, '0009_row_error_code_check.sql'), 'utf8');
  const list = /CHECK \(code IN \(([^)]*)\)\)/.exec(text)?.[1];
  expect(list, 'the CHECK (code IN (…)) of migration 0009').toBeDefined();
  const codes = [...list!.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
  expect(codes).toEqual([...ROW_ERROR_CODES]);
});

it('refuses a row error with an unknown code, and takes a known one', async () => {
  const key = await svc.newOrg();
  // Row 2 has no name: one row error.
  const imp = await importer(svc, key).merge('location', [place('L1'), { external_id: 'L2', code: 'L2' }]);
  expect(imp.status, JSON.stringify(imp)).toBe('completed');
  const insert = (code: string) =>
    svc.db.query(`INSERT INTO import_errors (import_id, row, phase, code, field, message) VALUES ($1, 99, 'validation', $2, NULL, 'test')`, [
      imp.id,
      code,
    ]);
  await expect(insert('made_up_code')).rejects.toMatchObject({ code: '23514' });
  await expect(insert('invalid_value')).resolves.toMatchObject({ rowCount: 1 });
  const codes = await svc.db.query<{ code: string }>('SELECT code FROM import_errors WHERE import_id = $1 ORDER BY row', [imp.id]);
  expect(codes.rows.map((r) => r.code)).toEqual(['missing_required_field', 'invalid_value']);
});
