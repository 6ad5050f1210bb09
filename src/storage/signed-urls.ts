// HMAC-signed, expiring URLs served by the API itself (the upload PUT URL, and downloads when
// storage cannot presign).
//
//   ${baseUrl}${path}?import=<id>&expires=<epoch s>&kid=<key id>&signature=<hex HMAC-SHA256>
//
// The MAC covers a version tag, the key id, the method, the path, the import id and the expiry,
// joined by "\n". None of those may contain "\n" (each is validated), so the encoding is
// unambiguous. Keys rotate: URLs are signed with `current` and verified with any known key.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

export interface SigningKey {
  id: string;
  secret: string;
}
/** Rotation: sign with current, verify with any. */
export interface SigningKeys {
  current: SigningKey;
  previous: SigningKey[];
}
export interface SignedParams {
  method: 'GET' | 'PUT';
  path: string;
  importId: string;
  /** Epoch seconds; the URL is valid while now < expiresAt. */
  expiresAt: number;
}

const MAC_VERSION = 'imports-signed-url-v1';
const MIN_SECRET_LENGTH = 16;
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const IMPORT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const EXPIRES = /^(0|[1-9][0-9]{0,14})$/; // canonical decimal: one spelling per value
const SIGNATURE = /^[0-9a-f]{64}$/; // hex of 32 bytes, lower case as we emit it
/** An absolute URL path: "/" then printable ASCII without whitespace, "?" or "#". */
const PATH = /^\/[\u0021-\u007e]*$/;
const METHODS: ReadonlySet<string> = new Set(['GET', 'PUT']);

function mac(secret: string, kid: string, method: string, path: string, importId: string, expiresAt: number): Buffer {
  return createHmac('sha256', secret)
    .update([MAC_VERSION, kid, method, path, importId, String(expiresAt)].join('\n'))
    .digest();
}

function validPath(path: unknown): path is string {
  return typeof path === 'string' && path.length <= 2048 && PATH.test(path) && !/[?#]/.test(path);
}

/** `${baseUrl}${path}?import=…&expires=…&kid=…&signature=…`, signed with `keys.current`. */
export function signUrl(baseUrl: string, p: SignedParams, keys: SigningKeys): string {
  if (!METHODS.has(p.method)) throw new Error(`signUrl: method must be GET or PUT, got ${String(p.method)}.`);
  if (!validPath(p.path)) throw new Error(`signUrl: path must start with "/" and contain no whitespace, "?" or "#": ${JSON.stringify(p.path)}.`);
  if (typeof p.importId !== 'string' || !IMPORT_ID.test(p.importId)) {
    throw new Error(`signUrl: import id must match ${IMPORT_ID}: ${JSON.stringify(p.importId)}.`);
  }
  if (!Number.isSafeInteger(p.expiresAt) || p.expiresAt < 0 || !EXPIRES.test(String(p.expiresAt))) {
    throw new Error(`signUrl: expiresAt must be a non-negative integer of epoch seconds, got ${String(p.expiresAt)}.`);
  }
  const { id, secret } = keys.current;
  if (!KEY_ID.test(id)) throw new Error(`signUrl: invalid key id ${JSON.stringify(id)}.`);
  const signature = mac(secret, id, p.method, p.path, p.importId, p.expiresAt).toString('hex');
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}${p.path}?import=${encodeURIComponent(p.importId)}&expires=${p.expiresAt}&kid=${encodeURIComponent(id)}&signature=${signature}`;
}

function invalid(): AppError {
  return new AppError('signature_invalid');
}

function queryString(query: Record<string, unknown>, name: string): string {
  const v = query[name];
  if (typeof v !== 'string') throw invalid(); // missing, repeated (array) or not a string
  return v;
}

/**
 * Verifies a request made to a signed URL. `req.path` must be the request's path exactly as it
 * arrived (the URL before "?", not decoded), `req.query` its parsed query string.
 *
 * Any missing, malformed or tampered part, or an unknown key id → AppError('signature_invalid');
 * a genuine URL past its expiry → AppError('url_expired'). The signature is checked before the
 * expiry, so a forged expiry is indistinguishable from any other forgery.
 */
export function verifySignedRequest(
  req: { method: string; path: string; query: Record<string, unknown> },
  keys: SigningKeys,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): { importId: string; expiresAt: number } {
  if (req === null || typeof req !== 'object' || req.query === null || typeof req.query !== 'object') throw invalid();
  const method = req.method;
  const path = req.path;
  if (typeof method !== 'string' || !METHODS.has(method)) throw invalid();
  if (!validPath(path)) throw invalid();
  const importId = queryString(req.query, 'import');
  const expires = queryString(req.query, 'expires');
  const kid = queryString(req.query, 'kid');
  const signature = queryString(req.query, 'signature');
  if (!IMPORT_ID.test(importId) || !EXPIRES.test(expires) || !KEY_ID.test(kid) || !SIGNATURE.test(signature)) {
    throw invalid();
  }
  const key = [keys.current, ...keys.previous].find((k) => k.id === kid);
  if (!key) throw invalid();
  const expiresAt = Number(expires);
  const expected = mac(key.secret, kid, method, path, importId, expiresAt);
  const provided = Buffer.from(signature, 'hex');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) throw invalid();
  if (!(nowSeconds < expiresAt)) throw new AppError('url_expired');
  return { importId, expiresAt };
}

/**
 * Parses "k2:secretB,k1:secretA" (first = current, the rest = previous, still accepted).
 * Throws a helpful Error (never echoing a secret) if malformed, a key id repeats, or a secret is
 * shorter than 16 characters.
 */
export function parseSigningKeys(spec: string): SigningKeys {
  const format = 'expected "keyId:secret[,keyId:secret…]" (first = current signing key, the rest still verify)';
  if (typeof spec !== 'string' || spec.trim() === '') throw new Error(`Signing keys are empty: ${format}.`);
  const entries = spec.split(',').map((s) => s.trim());
  const keys: SigningKey[] = [];
  entries.forEach((entry, i) => {
    const n = i + 1;
    if (entry === '') throw new Error(`Signing keys: entry ${n} is empty: ${format}.`);
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`Signing keys: entry ${n} has no ":" between key id and secret: ${format}.`);
    const id = entry.slice(0, colon).trim();
    const secret = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      throw new Error(`Signing keys: entry ${n} has an invalid key id (1-64 characters of A-Z a-z 0-9 _ . -): ${format}.`);
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`Signing keys: the secret of key "${id}" is ${secret.length} characters; at least ${MIN_SECRET_LENGTH} are required.`);
    }
    if (keys.some((k) => k.id === id)) throw new Error(`Signing keys: key id "${id}" appears more than once.`);
    keys.push({ id, secret });
  });
  const [current, ...previous] = keys;
  if (!current) throw new Error(`Signing keys are empty: ${format}.`);
  return { current, previous };
}
