import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

// Requests per minute per API key (per client IP for requests without one, such as signed
// upload and download URLs). The counters live in the process: with several API processes the
// limit applies to each of them.

// The scheme is case-insensitive and may be followed by any run of spaces (RFC 9110 §11.1), so
// `Bearer  KEY` and `bearer KEY` are the same key and must share its bucket.
const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

export function clientKey(req: Pick<FastifyRequest, 'headers' | 'ip'>): string {
  const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
  // A digest, not the key itself, so API keys never sit in the limiter's memory. Without a
  // key, the client's address: req.ip follows X-Forwarded-For only from trusted proxies
  // (TRUST_PROXY), so a client cannot choose its own bucket.
  return token ? `key:${createHash('sha256').update(token).digest('hex').slice(0, 32)}` : `ip:${req.ip}`;
}

export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute <= 0) return;
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: clientKey,
    allowList: (req) => req.url === '/healthz',
    errorResponseBuilder: (_req, ctx) =>
      new AppError('rate_limited', `More than ${ctx.max} requests in a minute; retry in ${Math.ceil(ctx.ttl / 1000)} s.`, {
        limit_per_minute: ctx.max,
        retry_after_seconds: Math.ceil(ctx.ttl / 1000),
      }),
  });
}
