import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../db/db.js';
import type { Actor } from '../domain/actor.js';
import { authenticate } from '../tenancy/api-keys.js';

/** The organization and key behind a request; routes call this first. */
export function actorOf(db: Queryable, req: FastifyRequest): Promise<Actor> {
  return authenticate(db, req.headers.authorization);
}
