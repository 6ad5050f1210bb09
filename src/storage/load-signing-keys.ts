import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/db.js';
import { parseSigningKeys, type SigningKeys } from './signed-urls.js';

// Where the keys that sign upload/download URLs come from:
//  - SIGNING_KEYS ("kid:secret,…", first = current, the rest still verify) when set: the
//    production setting, and the only one that supports rotation;
//  - otherwise one random key kept in the `signing_keys` table, created by whichever process
//    starts first. Every process sharing the database then agrees, and URLs survive restarts.

const GENERATED_KEY_ID = 'generated-1';

export async function loadSigningKeys(db: Queryable, spec: string | undefined): Promise<SigningKeys> {
  if (spec !== undefined && spec.trim() !== '') return parseSigningKeys(spec);
  // Two processes starting at once both try to insert; ON CONFLICT makes the first one win and
  // the SELECT below then returns the winner's secret to both.
  await db.query('INSERT INTO signing_keys (id, secret) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
    GENERATED_KEY_ID,
    randomBytes(32).toString('base64url'),
  ]);
  const res = await db.query<{ id: string; secret: string }>('SELECT id, secret FROM signing_keys WHERE id = $1', [GENERATED_KEY_ID]);
  const key = res.rows[0];
  if (!key) throw new Error('signing key could not be created');
  return { current: key, previous: [] };
}
