import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

// Requests per minute per API key (per client IP for requests without one, such as signed
// upload and download URLs). The counters live in the process: with several API processes the
// limit applies to each of them.

function clientKey(req: FastifyRequest): string {
  const auth = req.headers.authorization;
  // A digest, not the key itself, so API keys never sit in the limiter's memory.
  return auth ? `key:${createHash('sha256').update(auth).digest('hex').slice(0, 32)}` : `ip:${req.ip}`;
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
