import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

/**
 * Where clients reach this API, for the signed URLs it hands out: PUBLIC_URL when set (behind a
 * proxy or load balancer, set it). Otherwise never the request's Host or X-Forwarded-Host: any
 * client could send one and be handed URLs (and, to whoever follows them, bytes) pointing at a
 * host of its choosing. Then it is the address this process listens on, as a local client
 * reaches it: http://localhost:PORT (or HOST when it names one interface).
 */
export function publicBaseUrl(config: Pick<Config, 'publicUrl' | 'host' | 'port'>, _req?: FastifyRequest): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const anyInterface = config.host === '0.0.0.0' || config.host === '::' || config.host === '';
  const host = anyInterface ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}
