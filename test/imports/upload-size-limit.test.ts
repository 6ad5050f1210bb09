import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';
import { createAsync, put } from '../support/uploads.js';

// Acceptance: an upload far past the size limit is refused (413) without the server reading,
// holding or storing more than the limit — by its Content-Length when it declares one, else
// while streaming, in-process and over a real socket. The import stays `requested` and its URL
// keeps working for a file that fits.

const LIMIT = 64 * 1024;
const CSV = 'external_id,name,email\nU1,Una,una@example.com\nU2,Ugo,ugo@example.com\n';

let svc: TestService;
let key: string;

beforeAll(async () => {
  svc = await startService({ UPLOAD_MAX_BYTES: String(LIMIT) });
  key = await svc.newOrg();
});
afterAll(async () => svc?.close());

function storedFiles(imp: { organization_id: string; id: string }): string[] {
  const dir = path.join(svc.config.dataDir, 'files', 'imports', imp.organization_id, imp.id);
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

async function view(id: string) {
  return (await svc.call('GET', `/v1/imports/${id}`, key)).body;
}

describe('size limit', () => {
  it('a declared Content-Length past the limit → 413 before reading; the URL still works afterwards', async () => {
    const created = await createAsync(svc, key);
    const res = await put(svc, created._upload_url, Buffer.alloc(LIMIT + 1, 'a'));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('file_too_large');
    expect(res.body.error.message).toContain(`${LIMIT} bytes`);
    expect(res.headers.connection).toBe('close');
    expect(await view(created.id)).toMatchObject({ status: 'requested', checksum: null });
    expect((await put(svc, created._upload_url, CSV)).status).toBe(200);
  });

  it('a streamed body far past the limit (no Content-Length) → 413 after reading little more than the limit', async () => {
    const created = await createAsync(svc, key);
    const total = 1024 * 1024 * 1024; // 1 GiB offered, made lazily: only what the server pulls is ever created
    let pulled = 0;
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const body = Readable.from(
      (function* () {
        for (let sent = 0; sent < total; sent += chunk.length) {
          pulled += chunk.length;
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
    const res = await put(svc, created._upload_url, body, { 'transfer-encoding': 'chunked' });
    body.destroy();
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('file_too_large');
    expect(pulled).toBeLessThan(LIMIT + 1024 * 1024); // the limit plus stream buffers, not the gigabyte
    expect(await view(created.id)).toMatchObject({ status: 'requested', checksum: null });
    expect(storedFiles(created)).toEqual([]);
    expect(fs.readdirSync(path.join(svc.config.dataDir, 'files', '.tmp'))).toEqual([]); // no partial file left
  });
});

describe('size limit over a real socket', () => {
  it('a client streaming a gigabyte gets 413 and the connection closed after a few MB at most', async () => {
    const created = await createAsync(svc, key);
    await svc.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (svc.app.server.address() as AddressInfo).port;
    const u = new URL(created._upload_url);
    const total = 1024 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const res = await new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
      let answered = false;
      // Chunked, no Content-Length: the server can only find out by reading.
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: u.pathname + u.search }, (r) => {
        answered = true;
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode!, body, connection: r.headers.connection }));
      });
      // Writes after the server hung up fail (EPIPE/ECONNRESET): expected once it answered.
      req.on('error', (err) => {
        if (!answered) reject(err);
      });
      const write = () => {
        while (!answered && written < total) {
          written += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', write);
            return;
          }
        }
        if (!answered) req.end();
      };
      write();
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('file_too_large');
    expect(res.connection).toBe('close');
    // What the client managed to write is the limit plus socket buffers, never the gigabyte:
    // the server stopped reading, so it never held (or stored) the rest.
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(await view(created.id)).toMatchObject({ status: 'requested', checksum: null });
    expect(storedFiles(created)).toEqual([]);
  });
});
