import { createHash } from 'node:crypto';
import type { Db } from '../db/db.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';

// Idempotency-Key on creates (README "Retrying a create safely"). Per organization, a key is
// remembered for 24 hours with a fingerprint of the request and the first response:
//
//  - insert-first: the key's row is INSERTed before anything is created, with ON CONFLICT DO
//    NOTHING, so of two concurrent requests with one key exactly one goes on (the primary key
//    (organization_id, key) decides, on both engines); the other waits for the first response
//    and replays it;
//  - the import's id is chosen when the key is inserted, so a request that died half way is
//    recognised: its import exists (→ replayed as it is now) or it does not (→ after STALE_MS a
//    retry takes the key over and creates it, with that same id);
//  - the same key with another request → 422 idempotency_key_reused;
//  - a first request that fails before creating anything (a 4xx, a database error) gives its
//    key back: what is remembered is only ever a created import.

export const IDEMPOTENCY_TTL_HOURS = 24;
/** A key claimed this long ago without a response or an import: its request is taken as dead. */
const STALE_MS = 120_000;
/** How long a request waits for the first request with its key before answering 409. */
const WAIT_MS = 30_000;
const POLL_MS = 50;

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export interface IdempotentResult extends StoredResponse {
  /** True when this is the answer of an earlier request with the same key. */
  replayed: boolean;
}

interface KeyRow {
  request_hash: string;
  import_id: string;
  status_code: number | null;
  response: unknown;
  stale: boolean;
}

/** A fingerprint of the request: method, path and body (canonical JSON, keys sorted). */
export function requestFingerprint(method: string, path: string, body: unknown, rawData?: string): string {
  const h = createHash('sha256').update(`${method} ${path}\n`);
  const { data, ...rest } = (body ?? {}) as Record<string, unknown>;
  h.update(canonicalJson(rest)).update('\n');
  // The rows as sent: the same bytes the import's checksum is over.
  h.update(rawData ?? canonicalJson(data ?? null));
  return h.digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export interface IdempotentCreate {
  db: Db;
  organizationId: string;
  key: string;
  fingerprint: string;
  /** Creates the import with this id and builds the response. */
  create: (importId: string) => Promise<StoredResponse>;
  /** The response for an import that exists although its first request never recorded one. */
  current: (importId: string) => Promise<StoredResponse | null>;
}

export async function idempotentCreate(op: IdempotentCreate): Promise<IdempotentResult> {
  const { db, organizationId, key } = op;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const claimed = await claim(db, organizationId, key, op.fingerprint);
    if (claimed) return { ...(await runFirst(op, claimed)), replayed: false };

    const row = await readKey(db, organizationId, key);
    if (!row) continue; // given back (or expired) since: try to claim it again
    if (row.request_hash !== op.fingerprint) {
      throw new AppError('idempotency_key_reused', `Idempotency-Key "${key}" was already used with a different request body in the last ${IDEMPOTENCY_TTL_HOURS} hours; a new request needs a new key.`);
    }
    if (row.status_code !== null) return { statusCode: row.status_code, body: row.response, replayed: true };
    if (row.stale) {
      // Its request died. If it had created the import, that import is the answer.
      const existing = await op.current(row.import_id);
      if (existing) {
        await remember(db, organizationId, key, existing);
        return { ...existing, replayed: true };
      }
      if (await takeOver(db, organizationId, key, row.import_id)) return { ...(await runFirst(op, row.import_id)), replayed: false };
      continue;
    }
    if (Date.now() > deadline) {
      throw new AppError('idempotency_key_in_use', `A request with Idempotency-Key "${key}" is still being processed; retry shortly to get its response.`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function runFirst(op: IdempotentCreate, importId: string): Promise<StoredResponse> {
  let res: StoredResponse;
  try {
    res = await op.create(importId);
  } catch (err) {
    // Nothing was created (or its creation was rolled back): the key is free for a retry. If
    // the import does exist, the key stays, and a retry replays the import as it is then.
    const existing = await op.current(importId).catch(() => null);
    if (!existing) {
      await op.db
        .query('DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND import_id = $3 AND status_code IS NULL', [op.organizationId, op.key, importId])
        .catch(() => undefined);
    }
    throw err;
  }
  await remember(op.db, op.organizationId, op.key, res);
  return res;
}

/** Inserts the key; returns the import id it reserves, or null when the key is already there. */
async function claim(db: Db, organizationId: string, key: string, fingerprint: string): Promise<string | null> {
  return db.transaction(async (tx) => {
    // Expired keys (of this organization) go first, so a key can be used again after 24 hours.
    await tx.query(`DELETE FROM idempotency_keys WHERE organization_id = $1 AND created_at < now() - make_interval(hours => $2)`, [
      organizationId,
      IDEMPOTENCY_TTL_HOURS,
    ]);
    const res = await tx.query<{ import_id: string }>(
      `INSERT INTO idempotency_keys (organization_id, key, request_hash, import_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (organization_id, key) DO NOTHING RETURNING import_id`,
      [organizationId, key, fingerprint, newId('imp_')],
    );
    return res.rows[0]?.import_id ?? null;
  });
}

async function readKey(db: Db, organizationId: string, key: string): Promise<KeyRow | null> {
  const res = await db.query<KeyRow>(
    `SELECT request_hash, import_id, status_code, response, claimed_at < now() - make_interval(secs => $3) AS stale
     FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND created_at >= now() - make_interval(hours => $4)`,
    [organizationId, key, STALE_MS / 1000, IDEMPOTENCY_TTL_HOURS],
  );
  return res.rows[0] ?? null;
}

/** Compare-and-set on the claim time: of several retries of a dead request, one takes over. */
async function takeOver(db: Db, organizationId: string, key: string, importId: string): Promise<boolean> {
  const res = await db.query(
    `UPDATE idempotency_keys SET claimed_at = now()
     WHERE organization_id = $1 AND key = $2 AND import_id = $3 AND status_code IS NULL AND claimed_at < now() - make_interval(secs => $4)`,
    [organizationId, key, importId, STALE_MS / 1000],
  );
  return (res.rowCount ?? 0) === 1;
}

async function remember(db: Db, organizationId: string, key: string, res: StoredResponse): Promise<void> {
  await db.query(`UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE organization_id = $1 AND key = $2 AND status_code IS NULL`, [
    organizationId,
    key,
    res.statusCode,
    JSON.stringify(res.body),
  ]);
}
