import { ListObjectsCommand } from '@aws-sdk/client-s3';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage } from '../../src/storage/s3.js';
import { sweepRetention } from '../../src/worker/file-sweeps.js';
import { contactFiles, EXPECTED_STATS } from '../support/contact-files.js';
import { startS3, type LocalS3 } from '../support/s3rver.js';
import { startService, type TestService } from '../support/service.js';
import { createAsync, put } from '../support/uploads.js';

// The whole file path on S3-compatible storage (s3rver on 127.0.0.1): the file PUT to our
// signed URL streams into the bucket, the worker reads it back from there, and the downloads
// are presigned GET URLs of the bucket itself.

let s3: LocalS3;
let svc: TestService;
let key: string;

beforeAll(async () => {
  s3 = await startS3();
  svc = await startService(s3.env('e2e'));
  key = await svc.newOrg();
});
afterAll(async () => {
  await svc?.close();
  await s3?.close();
});

async function objectsOf(imp: { organization_id: string; id: string }): Promise<string[]> {
  const client = (svc.storage as S3Storage).client;
  const res = await client.send(new ListObjectsCommand({ Bucket: s3.bucket, Prefix: `e2e/imports/${imp.organization_id}/${imp.id}/` }));
  return (res.Contents ?? []).map((o) => o.Key!.split('/').pop()!).sort();
}

describe('S3 storage end to end', () => {
  it('uploads through the signed PUT into the bucket and imports from there', async () => {
    expect(svc.storage.kind).toBe('s3');
    const files = await contactFiles();
    for (const name of ['xlsx', 'csv tab, UTF-16 LE with BOM, CRLF']) {
      const created = await createAsync(svc, await svc.newOrg());
      const res = await put(svc, created._upload_url, files[name]!);
      expect(res.status, name).toBe(200);
      expect(await objectsOf(created)).toEqual([expect.stringMatching(/^original-/)]);
    }
    const created = await createAsync(svc, key);
    expect((await put(svc, created._upload_url, files['csv comma, UTF-8, LF']!)).status).toBe(200);
    const imp = await svc.settle(created.id, key);
    expect(imp).toMatchObject({ status: 'completed', stats: EXPECTED_STATS, has_upload_file: true, has_errors_file: true });
    expect(await objectsOf(imp)).toEqual(['errors.csv', 'errors.json', 'results.csv', 'results.json', 'upload.csv', 'upload.json']);
  });

  it('hands out presigned GET URLs of the bucket that download as attachments', async () => {
    const [imp] = (await svc.call('GET', '/v1/imports?status=completed', key)).body.data;
    const urls = (await svc.call('GET', `/v1/imports/${imp.id}?include_upload_json=true&include_errors_csv=true&include_errors_json=true`, key)).body;
    expect(urls._upload_json_url.startsWith(`${s3.endpoint}/${s3.bucket}/e2e/imports/`)).toBe(true);
    expect(urls._upload_json_url).toContain('X-Amz-Expires=900');
    expect(urls._upload_csv_url).toBeNull(); // not asked for

    const json = await fetch(urls._upload_json_url);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.headers.get('content-disposition')).toBe(`attachment; filename="${imp.id}-upload.json"`);
    expect(await json.json()).toHaveLength(8);

    const csv = await fetch(urls._errors_csv_url);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = Papa.parse<string[]>((await csv.text()).replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;
    expect(rows.map((r) => r[0])).toEqual(['_import_row', '3', '6', '7']);
    const errors = (await (await fetch(urls._errors_json_url)).json()) as { code: string }[];
    expect(errors.map((e) => e.code)).toEqual(['invalid_value', 'duplicate', 'duplicate']);
  });

  it('save_upload: false keeps nothing but the errors; retention empties the bucket prefix', async () => {
    const created = await createAsync(svc, key, { save_upload: false });
    await put(svc, created._upload_url, 'external_id,name,email\nZ1,Zed,bad\nZ2,Zoe,zoe@example.com\n');
    const imp = await svc.settle(created.id, key);
    expect(imp).toMatchObject({ status: 'completed', has_upload_file: false, has_errors_file: true });
    expect(await objectsOf(imp)).toEqual(['errors.csv', 'errors.json', 'results.csv', 'results.json']);

    await svc.db.query(`UPDATE imports SET updated_at = now() - interval '31 days' WHERE organization_id = $1`, [imp.organization_id]);
    expect(await sweepRetention(svc.db, svc.storage, svc.config.ttl.retentionDays)).toBe(2);
    expect(await objectsOf(imp)).toEqual([]);
    const after = (await svc.call('GET', `/v1/imports/${imp.id}?include_errors_csv=true`, key)).body;
    expect(after).toMatchObject({ has_upload_file: false, has_errors_file: false, _errors_csv_url: null });
  });
});
