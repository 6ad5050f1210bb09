import type { Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import { createKeyForOrg, listKeys, listOrganizations, revokeKey } from './api-keys.js';

// The operator's commands on organizations and keys, one function whoever runs them: the CLI on
// its own database (PostgreSQL, or an embedded one nobody holds), or the process owning the
// embedded database on behalf of a CLI (its local socket, see db/data-dir-lock.ts).

export type AdminCommand = 'keys.create' | 'keys.list' | 'keys.revoke' | 'orgs.list';

const text = (args: Record<string, unknown> | undefined, name: string): string | undefined => {
  const v = args?.[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};

export async function runAdminCommand(db: Queryable, req: { command: string; args?: Record<string, unknown> }): Promise<unknown> {
  switch (req.command) {
    case 'keys.create': {
      const org = text(req.args, 'org');
      if (!org) throw new AppError('invalid_request', 'keys create needs --org: a new organization\'s name, or an existing organization\'s id.');
      return createKeyForOrg(db, org);
    }
    case 'keys.list':
      return listKeys(db, text(req.args, 'org'));
    case 'keys.revoke': {
      const id = text(req.args, 'id');
      if (!id) throw new AppError('invalid_request', 'keys revoke needs the key id (see keys list).');
      return revokeKey(db, id);
    }
    case 'orgs.list':
      return listOrganizations(db);
    default:
      throw new AppError('invalid_request', `Unknown admin command "${req.command}".`);
  }
}
