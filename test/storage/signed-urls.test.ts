import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import {
  parseSigningKeys,
  signUrl,
  verifySignedRequest,
  type SignedParams,
  type SigningKeys,
} from '../../src/storage/signed-urls.js';

const OLD = { id: 'k1', secret: 'old-secret-0123456789' };
const NEW = { id: 'k2', secret: 'new-secret-abcdefghij' };
const keys: SigningKeys = { current: NEW, previous: [OLD] };
const NOW = 1_750_000_000;
const BASE = 'https://imports.example.com';
const params: SignedParams = { method: 'PUT', path: '/v1/imports/imp_0190abcd/upload', importId: 'imp_0190abcd', expiresAt: NOW + 900 };

/** What a server sees for a URL: method, raw path, parsed query (as Fastify/URLSearchParams would give). */
function requestFor(url: string, method: string = params.method): { method: string; path: string; query: Record<string, unknown> } {
  const u = new URL(url);
  return { method, path: u.pathname, query: Object.fromEntries(u.searchParams) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return undefined;
}

describe('signUrl / verifySignedRequest', () => {
  it('produces the documented URL shape and round-trips', () => {
    const url = signUrl(BASE, params, keys);
    expect(url).toMatch(
      /^https:\/\/imports\.example\.com\/v1\/imports\/imp_0190abcd\/upload\?import=imp_0190abcd&expires=1750000900&kid=k2&signature=[0-9a-f]{64}$/,
    );
    expect(verifySignedRequest(requestFor(url), keys, NOW)).toEqual({ importId: 'imp_0190abcd', expiresAt: NOW + 900 });
  });

  it('signs method, path, import id, expiry and key id', () => {
    const url = signUrl(BASE, params, keys);
    const expected = createHmac('sha256', NEW.secret)
      .update(['imports-signed-url-v1', 'k2', 'PUT', params.path, params.importId, String(params.expiresAt)].join('\n'))
      .digest('hex');
    expect(new URL(url).searchParams.get('signature')).toBe(expected);
  });

  it('strips a trailing slash from the base URL and works with a relative base', () => {
    expect(signUrl(`${BASE}/`, params, keys).startsWith(`${BASE}/v1/`)).toBe(true);
    const rel = signUrl('', params, keys);
    expect(rel.startsWith('/v1/imports/')).toBe(true);
    expect(verifySignedRequest(requestFor(`http://x${rel}`), keys, NOW).importId).toBe('imp_0190abcd');
  });

  describe('tampering → signature_invalid', () => {
    const url = signUrl(BASE, params, keys);
    const good = requestFor(url);
    const q = good.query as Record<string, string>;
    const sig = q.signature!;
    const flip = (s: string) => (s[0] === 'a' ? 'b' : 'a') + s.slice(1);
    const cases: Record<string, { method: string; path: string; query: Record<string, unknown> }> = {
      method: { ...good, method: 'GET' },
      'method lower-case': { ...good, method: 'put' },
      'method not allowed': { ...good, method: 'DELETE' },
      path: { ...good, path: '/v1/imports/imp_0190abce/upload' },
      'path suffix': { ...good, path: `${good.path}/x` },
      'path case': { ...good, path: good.path.toUpperCase() },
      import: { ...good, query: { ...q, import: 'imp_0190abce' } },
      expires: { ...good, query: { ...q, expires: String(NOW + 90_000) } },
      'expires leading zero': { ...good, query: { ...q, expires: `0${q.expires}` } },
      kid: { ...good, query: { ...q, kid: 'k1' } },
      'unknown kid': { ...good, query: { ...q, kid: 'k9' } },
      signature: { ...good, query: { ...q, signature: flip(sig) } },
      'signature upper-case hex': { ...good, query: { ...q, signature: sig.toUpperCase() } },
      'signature shorter': { ...good, query: { ...q, signature: sig.slice(0, 62) } },
      'signature longer': { ...good, query: { ...q, signature: `${sig}00` } },
      'signature not hex': { ...good, query: { ...q, signature: `${sig.slice(0, 63)}z` } },
      'signature empty': { ...good, query: { ...q, signature: '' } },
      'signature missing': { ...good, query: { import: q.import, expires: q.expires, kid: q.kid } },
      'import missing': { ...good, query: { expires: q.expires, kid: q.kid, signature: sig } },
      'expires missing': { ...good, query: { import: q.import, kid: q.kid, signature: sig } },
      'kid missing': { ...good, query: { import: q.import, expires: q.expires, signature: sig } },
      'expires not a number': { ...good, query: { ...q, expires: '1e12' } },
      'expires negative': { ...good, query: { ...q, expires: '-1' } },
      'repeated parameter (array)': { ...good, query: { ...q, import: [q.import, 'imp_other'] } },
      'non-string parameter': { ...good, query: { ...q, expires: NOW + 900 } },
      'path with query': { ...good, path: `${good.path}?import=x` },
      'path not absolute': { ...good, path: good.path.slice(1) },
    };
    for (const [name, req] of Object.entries(cases)) {
      it(name, () => {
        expect(codeOf(() => verifySignedRequest(req, keys, NOW))).toBe('signature_invalid');
      });
    }
    it('the untampered request still verifies', () => {
      expect(codeOf(() => verifySignedRequest(good, keys, NOW))).toBeUndefined();
    });
    it('signature_invalid is a 403 with the catalog message', () => {
      try {
        verifySignedRequest(cases.signature!, keys, NOW);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).status).toBe(403);
        expect((err as AppError).message).toBe('The signed URL is invalid or has been tampered with.');
      }
    });
  });

  it('expired → url_expired (403), valid until the second before expiresAt', () => {
    const req = requestFor(signUrl(BASE, params, keys));
    expect(codeOf(() => verifySignedRequest(req, keys, params.expiresAt - 1))).toBeUndefined();
    expect(codeOf(() => verifySignedRequest(req, keys, params.expiresAt))).toBe('url_expired');
    expect(codeOf(() => verifySignedRequest(req, keys, params.expiresAt + 86_400))).toBe('url_expired');
    try {
      verifySignedRequest(req, keys, params.expiresAt + 1);
    } catch (err) {
      expect((err as AppError).status).toBe(403);
    }
  });

  it('checks the signature before the expiry: a forged expired URL is signature_invalid', () => {
    const req = requestFor(signUrl(BASE, { ...params, expiresAt: NOW - 10 }, keys));
    expect(codeOf(() => verifySignedRequest(req, keys, NOW))).toBe('url_expired');
    const forged = { ...req, query: { ...req.query, expires: String(NOW - 5) } };
    expect(codeOf(() => verifySignedRequest(forged, keys, NOW))).toBe('signature_invalid');
  });

  it('defaults nowSeconds to the clock', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignedRequest(requestFor(signUrl(BASE, { ...params, expiresAt: now + 60 }, keys)), keys).expiresAt).toBe(now + 60);
    const old = requestFor(signUrl(BASE, { ...params, expiresAt: now - 60 }, keys));
    expect(codeOf(() => verifySignedRequest(old, keys))).toBe('url_expired');
  });

  it('rotation: a URL signed with the old key verifies while it is in previous, fails once removed', () => {
    const before: SigningKeys = { current: OLD, previous: [] };
    const after: SigningKeys = { current: NEW, previous: [OLD] };
    const dropped: SigningKeys = { current: NEW, previous: [] };
    const oldUrl = requestFor(signUrl(BASE, params, before));
    expect(oldUrl.query.kid).toBe('k1');
    expect(verifySignedRequest(oldUrl, after, NOW).importId).toBe(params.importId);
    expect(codeOf(() => verifySignedRequest(oldUrl, dropped, NOW))).toBe('signature_invalid');
    // new URLs are signed with the current key
    expect(requestFor(signUrl(BASE, params, after)).query.kid).toBe('k2');
  });

  it('a key id cannot be paired with another key’s secret', () => {
    const impostor: SigningKeys = { current: { id: 'k1', secret: NEW.secret }, previous: [] };
    const req = requestFor(signUrl(BASE, params, impostor));
    expect(codeOf(() => verifySignedRequest(req, keys, NOW))).toBe('signature_invalid');
  });

  it('GET URLs verify only as GET', () => {
    const p: SignedParams = { ...params, method: 'GET', path: '/v1/imports/imp_0190abcd/files/errors.csv' };
    const req = requestFor(signUrl(BASE, p, keys), 'GET');
    expect(verifySignedRequest(req, keys, NOW).importId).toBe('imp_0190abcd');
    expect(codeOf(() => verifySignedRequest({ ...req, method: 'PUT' }, keys, NOW))).toBe('signature_invalid');
  });

  it('signUrl refuses parameters that would make the encoding ambiguous or the URL malformed', () => {
    const bad: Partial<SignedParams>[] = [
      { path: 'v1/no-slash' },
      { path: '/v1/a b' },
      { path: '/v1/a\nb' },
      { path: '/v1/a?b=c' },
      { path: '/v1/a#b' },
      { importId: '' },
      { importId: 'imp\n1' },
      { importId: 'imp&x=1' },
      { expiresAt: 1.5 },
      { expiresAt: -1 },
      { expiresAt: Number.NaN },
      { method: 'DELETE' as SignedParams['method'] },
    ];
    for (const b of bad) expect(() => signUrl(BASE, { ...params, ...b }, keys), JSON.stringify(b)).toThrow(/signUrl/);
  });
});

describe('parseSigningKeys', () => {
  it('first key is current, the rest are previous', () => {
    expect(parseSigningKeys('k2:secretB-0123456789, k1:secretA-0123456789')).toEqual({
      current: { id: 'k2', secret: 'secretB-0123456789' },
      previous: [{ id: 'k1', secret: 'secretA-0123456789' }],
    });
    expect(parseSigningKeys('only:0123456789abcdef')).toEqual({ current: { id: 'only', secret: '0123456789abcdef' }, previous: [] });
  });

  it('a secret may contain ":"', () => {
    expect(parseSigningKeys('k:abc:def:0123456789').current.secret).toBe('abc:def:0123456789');
  });

  it('helpful errors that never echo a secret', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['   ', /empty/],
      ['k1:0123456789abcdef,', /entry 2 is empty/],
      ['nocolon0123456789abcdef', /no ":"/],
      [':0123456789abcdef', /invalid key id/],
      ['bad id:0123456789abcdef', /invalid key id/],
      ['k1:short-secret', /secret of key "k1" is 12 characters; at least 16/],
      ['k1:0123456789abcdef,k1:fedcba9876543210', /"k1" appears more than once/],
    ];
    for (const [spec, re] of cases) {
      let message = '';
      try {
        parseSigningKeys(spec);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, spec).toMatch(re);
      expect(message).not.toContain('short-secret');
      expect(message).not.toContain('0123456789abcdef');
    }
  });

  it('parsed keys sign and verify', () => {
    const k = parseSigningKeys('k2:secretB-0123456789,k1:secretA-0123456789');
    expect(verifySignedRequest(requestFor(signUrl(BASE, params, k)), k, NOW).importId).toBe(params.importId);
  });
});
