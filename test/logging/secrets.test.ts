import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/log-redaction.js';
import { startService } from '../support/service.js';

// No log line holds a whole API key or a signed URL's signature, whatever carries it: a
// request's URL, an object logged by the code, or an error message quoting a URL.

const KEY = 'sk_' + 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd'.slice(0, 43);
const OURS = 'http://localhost:3000/v1/downloads/imp_1/errors.csv?import=imp_1&expires=1796572076&kid=k1&signature=' + 'ab'.repeat(32);
const S3 =
  'https://bucket.s3.amazonaws.com/imp_1/upload?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261206%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261206T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE&X-Amz-Signature=' +
  'cd'.repeat(32) +
  '&X-Amz-SignedHeaders=host';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, log: pino(loggerOptions('info'), stream) };
}

describe('log lines', () => {
  it('keep a key prefix and the URL without its signature, in objects, messages and errors', () => {
    const { lines, log } = capture();
    log.info({ api_key: KEY, nested: { key: KEY, url: OURS } }, `made ${KEY}`);
    log.error({ err: new Error(`PUT ${S3} failed`) }, 'upload failed');
    log.info({ url: S3.toLowerCase() }, 'lower case too');
    const all = lines.join('');
    expect(lines).toHaveLength(3);
    expect(all).not.toContain(KEY);
    expect(all).toContain(KEY.slice(0, 10)); // the prefix keys list shows, to tell keys apart
    expect(all).not.toMatch(/signature=(ab|cd){8}/i);
    expect(all).not.toContain('AKIAEXAMPLE');
    expect(all).not.toContain('FQoGZXIvYXdzEXAMPLE');
    expect(all).toContain('X-Amz-Date=20261206T000000Z'); // the rest of the URL stays useful
    expect(all).toContain('expires=1796572076&kid=k1&signature=[redacted]');
  });

  it('the HTTP server logs requests with the signature replaced and no Authorization header', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const svc = await startService({}, { logger: { ...loggerOptions('info'), stream } });
    try {
      const key = await svc.newOrg();
      await svc.app.inject({ method: 'GET', url: '/v1/imports', headers: { authorization: `Bearer ${key}` } });
      await svc.app.inject({ method: 'PUT', url: new URL(OURS).pathname + new URL(OURS).search, payload: 'a,b\n1,2\n' });
      const all = lines.join('');
      expect(all).toContain('"url":"/v1/downloads/imp_1/errors.csv?import=imp_1&expires=1796572076&kid=k1&signature=[redacted]"');
      expect(all).not.toContain(key);
      expect(all).not.toMatch(/signature=(ab){8}/);
    } finally {
      await svc.close();
    }
  });
});
