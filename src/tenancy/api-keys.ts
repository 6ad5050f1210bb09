import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { Actor } from '../domain/actor.js';

// Organizations and API keys. A key is shown once, at creation; only its sha256 is stored
// (keys are 256 random bits, so a fast hash is enough — no password stretching needed).

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export interface CreatedKey {
  organization_id: string;
  api_key: string;
  key_id: string;
}

export async function createOrganizationWithKey(db: Queryable, orgName: string): Promise<CreatedKey> {
  const organizationId = newId('org_');
  await db.query('INSERT INTO organizations (id, name) VALUES ($1, $2)', [organizationId, orgName]);
  const { key, id } = await createKey(db, organizationId);
  return { organization_id: organizationId, api_key: key, key_id: id };
}

export async function createApiKey(db: Queryable, organizationId: string, name: string | null = null): Promise<string> {
  return (await createKey(db, organizationId, name)).key;
}

async function createKey(db: Queryable, organizationId: string, name: string | null = null): Promise<{ key: string; id: string }> {
  const key = `sk_${randomBytes(32).toString('base64url')}`;
  const id = newId('key_');
  await db.query('INSERT INTO api_keys (id, organization_id, key_hash, key_prefix, name) VALUES ($1, $2, $3, $4, $5)', [
    id,
    organizationId,
    hashKey(key),
    key.slice(0, KEY_PREFIX_CHARS),
    name,
  ]);
  return { key, id };
}

/** Characters of a key kept in clear (listings, logs): "sk_" and 7 of its 43 random ones. */
export const KEY_PREFIX_CHARS = 10;

/** `--org`: an existing organization's id gets one more key; any other value names a new organization. */
export async function createKeyForOrg(db: Queryable, org: string): Promise<CreatedKey> {
  const existing = await db.query<{ id: string }>('SELECT id FROM organizations WHERE id = $1', [org]);
  if (existing.rows[0]) {
    const { key, id } = await createKey(db, org);
    return { organization_id: org, api_key: key, key_id: id };
  }
  return createOrganizationWithKey(db, org);
}

export interface KeyListing {
  id: string;
  prefix: string;
  organization_id: string;
  organization_name: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export async function listKeys(db: Queryable, org?: string): Promise<KeyListing[]> {
  const res = await db.query<KeyListing>(
    `SELECT k.id, k.key_prefix AS prefix, k.organization_id, o.name AS organization_name,
            to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
            to_char(k.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_used_at,
            to_char(k.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS revoked_at
       FROM api_keys k JOIN organizations o ON o.id = k.organization_id
      WHERE $1::text IS NULL OR k.organization_id = $1 OR o.name = $1
      ORDER BY k.created_at, k.id`,
    [org ?? null],
  );
  return res.rows;
}

/** Revokes a key at once: authentication reads the key's row on every request. */
export async function revokeKey(db: Queryable, keyId: string): Promise<KeyListing> {
  const res = await db.query('UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [keyId]);
  if (res.rowCount === 0) throw new AppError('not_found', `No API key ${keyId} (see keys list).`);
  return (await listKeys(db)).find((k) => k.id === keyId)!;
}

export interface OrgListing {
  id: string;
  name: string;
  created_at: string;
  active_keys: number;
}

export async function listOrganizations(db: Queryable): Promise<OrgListing[]> {
  const res = await db.query<OrgListing>(
    `SELECT o.id, o.name, to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
            (SELECT count(*)::int FROM api_keys k WHERE k.organization_id = o.id AND k.revoked_at IS NULL) AS active_keys
       FROM organizations o ORDER BY o.created_at, o.id`,
  );
  return res.rows;
}

/** Resolves `Authorization: Bearer <key>` to the organization and key acting. */
export async function authenticate(db: Queryable, header: string | undefined): Promise<Actor> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) throw new AppError('unauthorized');
  // One statement per request, no cache: a revoked key is refused by every API process at
  // once. last_used_at is written at most once a minute per key, so a busy key does not turn
  // every request into a write.
  const res = await db.query<{ id: string; organization_id: string }>(
    `WITH k AS (SELECT id, organization_id, last_used_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL),
          used AS (UPDATE api_keys a SET last_used_at = now() FROM k
                    WHERE a.id = k.id AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute'))
     SELECT id, organization_id FROM k`,
    [hashKey(m[1]!)],
  );
  const row = res.rows[0];
  if (!row) throw new AppError('unauthorized', 'The API key is not valid (unknown or revoked).');
  return { organizationId: row.organization_id, apiKeyId: row.id };
}

export async function countOrganizations(db: Queryable): Promise<number> {
  const res = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM organizations');
  return res.rows[0]?.n ?? 0;
}
