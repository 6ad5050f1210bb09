import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/db.js';
import { AppError } from '../errors.js';
import type { Actor } from '../domain/actor.js';
import { authenticate } from '../tenancy/api-keys.js';

// Authentication once, for every route of the scope it is added to: a preParsing hook, so a
// request without a valid key is refused before its body is read or parsed, and after the rate
// limit (a route-level onRequest hook, which runs after the scope's onRequest hooks): a client
// spraying wrong keys is limited like any other. The signed upload and download routes live
// outside that scope: their URL's signature is their authentication.

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API-key hook; null on routes outside its scope. */
    actor: Actor | null;
  }
}

export function requireApiKey(scope: FastifyInstance, db: Db): void {
  scope.decorateRequest('actor', null);
  scope.addHook('preParsing', async (req) => {
    req.actor = await authenticate(db, req.headers.authorization);
  });
}

/** The organization and key behind a request of the API-key scope. */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new AppError('unauthorized');
  return req.actor;
}
