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
}

export async function createOrganizationWithKey(db: Queryable, orgName: string): Promise<CreatedKey> {
  const organizationId = newId('org_');
  await db.query('INSERT INTO organizations (id, name) VALUES ($1, $2)', [organizationId, orgName]);
  const apiKey = await createApiKey(db, organizationId);
  return { organization_id: organizationId, api_key: apiKey };
}

export async function createApiKey(db: Queryable, organizationId: string, name: string | null = null): Promise<string> {
  const key = `sk_${randomBytes(32).toString('base64url')}`;
  await db.query('INSERT INTO api_keys (id, organization_id, key_hash, key_prefix, name) VALUES ($1, $2, $3, $4, $5)', [
    newId('key_'),
    organizationId,
    hashKey(key),
    key.slice(0, 10),
    name,
  ]);
  return key;
}

/** Resolves `Authorization: Bearer <key>` to the organization and key acting. */
export async function authenticate(db: Queryable, header: string | undefined): Promise<Actor> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) throw new AppError('unauthorized');
  const res = await db.query<{ id: string; organization_id: string }>(
    'SELECT id, organization_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
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
