import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';

// The served OpenAPI document as tools see it: swagger-parser validates it (every $ref resolves),
// Redocly's recommended rules find no error, and it says what each operation takes and gives.

const run = promisify(execFile);
let svc: TestService;
let doc: any;
let dir: string;

beforeAll(async () => {
  svc = await startService();
  const res = await svc.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
});
afterAll(async () => {
  await svc?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, item]) => Object.entries(item).map(([method, op]) => ({ path: p, method, op })));

describe('the OpenAPI document', () => {
  it('is valid for swagger-parser, every $ref resolving to a named component', async () => {
    await SwaggerParser.validate(structuredClone(doc));
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(doc.components.schemas[ref.slice('"$ref":"#/components/schemas/'.length, -1)], ref).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Import', 'Phase', 'Stats', 'RowError', 'Event', 'Resource', 'ResourceField', 'Pagination', 'Error', 'ContactRecord', 'LocationRecord', 'GroupRecord', 'ItemRecord', 'AssetRecord']),
    );
  });

  it('passes Redocly lint (recommended rules) with no error', async () => {
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const cli = path.resolve('node_modules/@redocly/cli/bin/cli.js');
    const out = await run(process.execPath, [cli, 'lint', '--extends=recommended', '--format=json', file], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(out.stdout.slice(out.stdout.indexOf('{')));
    const errors = report.problems.filter((p: any) => p.severity === 'error');
    expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
    expect(report.totals.errors).toBe(0);
  });

  it('gives every operation an operationId, a tag, a summary and its error answers', () => {
    const ids = new Set<string>();
    for (const { path: p, method, op } of operations()) {
      expect(op.operationId, `${method} ${p}`).toMatch(/^[a-z][A-Za-z]+$/);
      ids.add(op.operationId);
      expect(op.tags?.length, `${method} ${p}`).toBeGreaterThan(0);
      expect(op.summary, `${method} ${p}`).toBeTruthy();
      expect(Object.keys(op.responses), `${method} ${p}`).toEqual(expect.arrayContaining(['429', '5XX']));
      for (const [status, r] of Object.entries(op.responses as Record<string, any>)) {
        expect(r.description, `${method} ${p} ${status}`).not.toBe('Default Response');
        if (status.startsWith('4') || status.startsWith('5')) expect(r.content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
      }
      if (op.security?.length !== 0) expect(Object.keys(op.responses)).toContain('401');
    }
    expect(ids.size).toBe(operations().length);
    expect(Object.keys(doc.paths['/v1/imports/{id}/cancel'].post.responses)).toEqual(expect.arrayContaining(['404', '409']));
    expect(Object.keys(doc.paths['/v1/imports'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '413']));
    expect(Object.keys(doc.paths['/v1/uploads/{id}'].put.responses)).toEqual(expect.arrayContaining(['200', '403', '409', '413']));
    expect(doc.servers.length).toBeGreaterThan(0);
  });

  it('documents booleans as booleans, enums, the upload body, the downloads\' content types and examples', () => {
    const params = doc.paths['/v1/imports/{id}'].get.parameters as any[];
    for (const flag of ['include_upload_csv', 'include_upload_json', 'include_errors_csv', 'include_errors_json']) {
      expect(params.find((p) => p.name === flag)?.schema.type).toBe('boolean');
    }
    expect(doc.components.schemas.ImportStatus.enum).toEqual(['requested', 'queued', 'processing', 'completed', 'failed', 'timed_out', 'expired']);
    expect(doc.components.schemas.RowErrorCode.enum).toContain('ambiguous_reference');
    const upload = doc.paths['/v1/uploads/{id}'].put.requestBody;
    expect(Object.keys(upload.content)).toEqual(expect.arrayContaining(['application/octet-stream', 'text/csv']));
    const download = doc.paths['/v1/downloads/{id}/{file}'].get.responses['200'].content;
    expect(Object.keys(download).sort()).toEqual(['application/json', 'text/csv']);
    const create = doc.paths['/v1/imports'].post;
    expect(Object.keys(create.requestBody.content['application/json'].examples)).toEqual(expect.arrayContaining(['syncLocations', 'async']));
    expect(create.responses['201'].content['application/json'].examples.completed.value.object).toBe('import');
    // Resource records are typed from the definitions, enums included.
    expect(doc.components.schemas.AssetRecord.properties.status.anyOf[0].enum).toContain('in_storage');
  });
});
