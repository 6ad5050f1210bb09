import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { parseSigningKeys } from '../../src/storage/signed-urls.js';
import { expireUploads } from '../../src/worker/file-sweeps.js';
import { startService, type TestService } from '../support/service.js';
import { createAsync, pathOf, put } from '../support/uploads.js';

// The signed upload URL and the PUT behind it: creation of async imports, every signed part
// tampered with (403, nothing touched), expiry, one upload per import (409), checksums, key
// rotation, and the window closing (expired). The size limit has upload-size-limit.test.ts.

const CSV = 'external_id,name,email\nU1,Una,una@example.com\nU2,Ugo,ugo@example.com\n';
const sha = (s: string | Buffer) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

let svc: TestService;
let key: string;

beforeAll(async () => {
  svc = await startService({ SIGNING_KEYS: 'k2:second-secret-0123456789,k1:first-secret-0123456789' });
  key = await svc.newOrg();
});
afterAll(async () => svc?.close());

/** Every object stored for an import (local storage: files under DATA_DIR/files). */
function storedFiles(imp: { organization_id: string; id: string }): string[] {
  const dir = path.join(svc.config.dataDir, 'files', 'imports', imp.organization_id, imp.id);
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

async function view(id: string, k = key) {
  return (await svc.call('GET', `/v1/imports/${id}`, k)).body;
}

describe('creating an async import', () => {
  it('answers requested with a signed _upload_url that expires with the upload window', async () => {
    const before = Math.floor(Date.now() / 1000);
    const created = await createAsync(svc, key, { name: 'Async one' });
    expect(created).toMatchObject({ status: 'requested', upload_mode: 'async', checksum: null, has_upload_file: false, has_errors_file: false });
    expect(created.phases.map((p: any) => [p.name, p.mode, p.status])[0]).toEqual(['prevalidation', 'async', 'pending']);
    const url = new URL(created._upload_url);
    expect(url.pathname).toBe(`/v1/uploads/${created.id}`);
    expect(url.searchParams.get('import')).toBe(created.id);
    expect(url.searchParams.get('kid')).toBe('k2'); // the current key signs
    const expires = Number(url.searchParams.get('expires'));
    expect(expires).toBeGreaterThanOrEqual(before + 3600);
    expect(expires).toBeLessThanOrEqual(before + 3600 + 60);
    // Every read mints it again, with the same expiry; listing shows it too.
    const again = await view(created.id);
    expect(new URL(again._upload_url).searchParams.get('expires')).toBe(String(expires));
    const list = await svc.call('GET', '/v1/imports?status=requested&limit=100', key);
    expect(list.body.data.find((i: any) => i.id === created.id)._upload_url).toBe(again._upload_url);
  });

  it('issue 18 item 9: without PUBLIC_URL the signed URL names this process (localhost:PORT), never a Host or X-Forwarded-Host a client sent', async () => {
    const created = await createAsync(svc, key);
    expect(created._upload_url).toMatch(/^http:\/\/localhost:3000\/v1\/uploads\//);
    const res = await svc.app.inject({
      method: 'GET', url: `/v1/imports/${created.id}`,
      headers: { authorization: `Bearer ${key}`, host: 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'imports.example.com' },
    });
    expect(res.json()._upload_url).toMatch(/^http:\/\/localhost:3000\/v1\/uploads\//);
  });

  it('400 when data is given with upload_mode async', async () => {
    const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'async', data: [{ name: 'x' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'data', message: 'not allowed for async imports' }]);
  });
});

describe('the PUT', () => {
  it('streams the file to storage, records its checksum and queues the import; the URL then disappears', async () => {
    const created = await createAsync(svc, key);
    const res = await put(svc, created._upload_url, CSV, { 'content-type': 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ object: 'upload', import_id: created.id, status: 'queued', reason: null, bytes: Buffer.byteLength(CSV), checksum: sha(CSV) });
    const queued = await view(created.id);
    expect(queued).toMatchObject({ status: 'queued', checksum: sha(CSV), _upload_url: null });
    expect(storedFiles(queued)).toEqual([expect.stringMatching(/^original-[0-9a-f]{16}$/)]);
    const done = await svc.settle(created.id, key);
    expect(done).toMatchObject({ status: 'completed', stats: { total: 2, created: 2 } });
    // The upload was read into the database; only the downloads remain in storage.
    expect(storedFiles(done)).toEqual(['results.csv', 'results.json', 'upload.csv', 'upload.json']);
  });

  it('a second PUT after the upload completed → 409, and the first file stands', async () => {
    const created = await createAsync(svc, key);
    expect((await put(svc, created._upload_url, CSV)).status).toBe(200);
    const second = await put(svc, created._upload_url, 'external_id,name\nX,Other\n');
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('upload_already_received');
    expect((await view(created.id)).checksum).toBe(sha(CSV));
    expect(storedFiles(created)).toHaveLength(1);
  });

  it('two PUTs racing: exactly one wins, the loser gets 409 and keeps nothing in storage', async () => {
    const created = await createAsync(svc, key);
    const other = 'external_id,name\nR1,Race\n';
    const results = await Promise.all([put(svc, created._upload_url, CSV), put(svc, created._upload_url, other)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)!;
    expect((await view(created.id)).checksum).toBe(winner.body.checksum);
    expect(storedFiles(created)).toHaveLength(1);
  });

  it('ignores Content-Type: JSON sent as text/plain, CSV sent as application/json', async () => {
    const a = await createAsync(svc, key);
    expect((await put(svc, a._upload_url, JSON.stringify([{ external_id: 'J1', name: 'Jo' }]), { 'content-type': 'text/plain' })).status).toBe(200);
    const b = await createAsync(svc, key);
    expect((await put(svc, b._upload_url, CSV, { 'content-type': 'application/json' })).status).toBe(200);
    expect((await svc.settle(a.id, key)).status).toBe('completed');
    expect((await svc.settle(b.id, key)).status).toBe('completed');
  });
});

describe('signatures', () => {
  it('tampering with any signed part → 403 and the import is untouched', async () => {
    const created = await createAsync(svc, key);
    const other = await createAsync(svc, key);
    const u = new URL(created._upload_url);
    const q = Object.fromEntries(u.searchParams);
    const sig = q.signature!;
    const flipped = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
    const variants: Record<string, string> = {
      'import parameter': `${u.pathname}?${new URLSearchParams({ ...q, import: other.id })}`,
      'path id': `/v1/uploads/${other.id}?${u.searchParams}`,
      expires: `${u.pathname}?${new URLSearchParams({ ...q, expires: String(Number(q.expires) + 3600) })}`,
      'key id': `${u.pathname}?${new URLSearchParams({ ...q, kid: 'k1' })}`,
      'unknown key id': `${u.pathname}?${new URLSearchParams({ ...q, kid: 'k9' })}`,
      signature: `${u.pathname}?${new URLSearchParams({ ...q, signature: flipped })}`,
      'signature missing': `${u.pathname}?${new URLSearchParams({ import: q.import!, expires: q.expires!, kid: q.kid! })}`,
      'repeated parameter': `${u.pathname}?${u.searchParams}&signature=${sig}`,
      'no query at all': u.pathname,
    };
    for (const [part, url] of Object.entries(variants)) {
      const res = await svc.app.inject({ method: 'PUT', url, payload: CSV });
      expect(res.statusCode, part).toBe(403);
      expect(res.json().error.code, part).toBe('signature_invalid');
    }
    // The method is signed too: the PUT URL does not download anything.
    const asGet = await svc.app.inject({ method: 'GET', url: `/v1/downloads/${created.id}/upload.csv${u.search}` });
    expect(asGet.statusCode).toBe(403);
    for (const imp of [created, other]) {
      expect(await view(imp.id)).toMatchObject({ status: 'requested', checksum: null });
      expect(storedFiles(imp)).toEqual([]);
    }
    expect((await put(svc, created._upload_url, CSV)).status).toBe(200); // the genuine URL still works
  });

  it('an expired URL → 403 url_expired and nothing touched', async () => {
    const created = await createAsync(svc, key);
    // The upload window ends (as time passing would do): URLs read from now on carry that expiry.
    await svc.db.query(`UPDATE imports SET upload_expires_at = now() - interval '1 second' WHERE id = $1`, [created.id]);
    const stale = await view(created.id);
    expect(Number(new URL(stale._upload_url).searchParams.get('expires'))).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    // Both the URL read after the window ended and the one minted before it are refused.
    for (const url of [stale._upload_url, created._upload_url]) {
      const res = await put(svc, url, CSV);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('url_expired');
    }
    expect(await view(created.id)).toMatchObject({ status: 'requested', checksum: null });
    expect(storedFiles(created)).toEqual([]);
  });

  it('keys rotate: a URL signed with a previous key still verifies; a dropped key does not', async () => {
    const created = await createAsync(svc, key);
    const oldApp = await buildApp({ db: svc.db, config: svc.config, storage: svc.storage, signingKeys: parseSigningKeys('k1:first-secret-0123456789') });
    const oldUrl = (await oldApp.inject({ method: 'GET', url: `/v1/imports/${created.id}`, headers: { authorization: `Bearer ${key}` } })).json()._upload_url;
    await oldApp.close();
    expect(new URL(oldUrl).searchParams.get('kid')).toBe('k1');
    const newOnly = await buildApp({ db: svc.db, config: svc.config, storage: svc.storage, signingKeys: parseSigningKeys('k2:second-secret-0123456789') });
    const refused = await newOnly.inject({ method: 'PUT', url: pathOf(oldUrl), payload: CSV });
    await newOnly.close();
    expect(refused.statusCode).toBe(403);
    expect((await put(svc, oldUrl, CSV)).status).toBe(200); // svc knows k2 (current) and k1 (previous)
  });
});

describe('signing keys without SIGNING_KEYS', () => {
  it('are generated once and kept in the database, so every process sharing it agrees', async () => {
    const config = { ...svc.config, signingKeys: undefined };
    const a = await buildApp({ db: svc.db, config, storage: svc.storage });
    const b = await buildApp({ db: svc.db, config, storage: svc.storage });
    const created = (await a.inject({ method: 'POST', url: '/v1/imports', headers: { authorization: `Bearer ${key}` }, payload: { resource: 'contact', action: 'merge', upload_mode: 'async' } })).json();
    expect(new URL(created._upload_url).searchParams.get('kid')).toBe('generated-1');
    const res = await b.inject({ method: 'PUT', url: pathOf(created._upload_url), payload: CSV });
    await a.close();
    await b.close();
    expect(res.statusCode).toBe(200);
  });

  it('a malformed SIGNING_KEYS stops the start, naming the variable and never the secret', () => {
    expect(() => loadConfig({ SIGNING_KEYS: 'k1:short' })).toThrow(ConfigError);
    expect(() => loadConfig({ SIGNING_KEYS: 'k1:short' })).toThrow(/SIGNING_KEYS: .*at least 16/);
    expect(() => loadConfig({ SIGNING_KEYS: 'k1:short' })).not.toThrow(/short/);
  });
});

describe('the upload window', () => {
  it('closes: the import expires with reason expired, and its URL is gone', async () => {
    const created = await createAsync(svc, key);
    const later = await createAsync(svc, key);
    await svc.db.query(`UPDATE imports SET upload_expires_at = now() - interval '1 second' WHERE id = $1`, [created.id]);
    expect(await expireUploads(svc.db, svc.storage)).toBeGreaterThanOrEqual(1);
    const expired = await view(created.id);
    expect(expired).toMatchObject({ status: 'expired', reason: 'expired', _upload_url: null });
    expect(expired.phases.every((p: any) => p.status === 'skipped')).toBe(true);
    expect((await view(later.id)).status).toBe('requested');
    // Even the URL minted before, whose own expiry is still ahead, cannot revive it.
    const res = await put(svc, created._upload_url, CSV);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('url_expired');
  });
});

describe('checksums', () => {
  it('a checksum given at creation that matches → queued; one that does not → failed checksum_mismatch, no file kept', async () => {
    const good = await createAsync(svc, key, { checksum: sha(CSV) });
    expect((await put(svc, good._upload_url, CSV)).body.status).toBe('queued');
    const bad = await createAsync(svc, key, { checksum: sha('something else') });
    const res = await put(svc, bad._upload_url, CSV);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', checksum: sha(CSV) });
    expect(res.body.reason).toBe(`checksum_mismatch: received ${sha(CSV)}, expected ${sha('something else')}`);
    const failed = await view(bad.id);
    expect(failed).toMatchObject({ status: 'failed', checksum: sha(CSV), has_upload_file: false, has_errors_file: false });
    expect(failed.phases.every((p: any) => p.status === 'skipped')).toBe(true);
    expect(storedFiles(bad)).toEqual([]);
    expect((await put(svc, bad._upload_url, CSV)).status).toBe(409);
  });
});

describe('OpenAPI', () => {
  it('documents the upload and download routes', async () => {
    const spec = (await svc.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(spec.paths['/v1/uploads/{id}'].put.responses).toHaveProperty('413');
    expect(spec.paths['/v1/downloads/{id}/{file}'].get.responses).toHaveProperty('403');
    expect(spec.paths['/v1/uploads/{id}'].put.security).toEqual([]);
  });
});
