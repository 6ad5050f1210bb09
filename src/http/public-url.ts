import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

/**
 * Where clients reach this API, for the signed URLs it hands out: PUBLIC_URL when set (behind a
 * proxy or load balancer, set it), else the scheme and host the request came to (trustProxy
 * makes these follow X-Forwarded-Proto / X-Forwarded-Host).
 */
export function publicBaseUrl(config: Pick<Config, 'publicUrl'>, req: FastifyRequest): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  return `${req.protocol}://${req.host}`;
}
