import Fastify, { type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import { AppError, toHttpError } from '../errors.js';
import { checkDatabase } from '../imports/service-health.js';
import { loadSigningKeys } from '../storage/load-signing-keys.js';
import type { SigningKeys } from '../storage/signed-urls.js';
import type { Storage } from '../storage/storage.js';
import { DEFAULT_LIMITS } from '../files/row-source.js';
import { registerJsonBody } from './json-body.js';
import { requireApiKey } from './auth.js';
import { clientErrorHandler, frameworkErrors } from './framework-errors.js';
import { registerOpenApi } from './openapi.js';
import { registerRateLimit } from './rate-limit.js';
import { webhookRoutes } from './routes/webhooks.js';
import { cancelRoutes } from './routes/cancel.js';
import { revertRoutes } from './routes/revert.js';
import { eventRoutes } from './routes/events.js';
import { downloadRoutes, uploadRoutes } from './routes/files.js';
import { importRoutes } from './routes/imports.js';
import { resourceRoutes } from './routes/resources.js';
import { reviewRoutes } from './routes/review.js';
import { isAppRoute, registerWebApp, sendApp } from './web-app.js';

// Builds the HTTP server and never listens: main.ts listens, tests inject requests.

export interface AppDeps {
  db: Db;
  config: Readonly<Config>;
  /** Uploaded files and downloads (local disk or S3). */
  storage: Storage;
  /** Keys that sign upload/download URLs; loaded from SIGNING_KEYS or the database when omitted. */
  signingKeys?: SigningKeys;
  onQueued?: () => void;
  logger?: boolean | object;
}

/** What routes get: the app's dependencies with the signing keys resolved. */
export type RouteDeps = AppDeps & { keys: SigningKeys };

export async function buildApp(appDeps: AppDeps): Promise<FastifyInstance> {
  const { config } = appDeps;
  const deps: RouteDeps = { ...appDeps, keys: appDeps.signingKeys ?? (await loadSigningKeys(appDeps.db, config.signingKeys)) };
  const app = Fastify({
    logger: deps.logger ?? false,
    // Sync imports carry their rows in the body; base64 inflates a file by 4/3.
    bodyLimit: Math.ceil(config.limits.syncMaxBytes * 1.4) + 64 * 1024,
    // X-Forwarded-* are believed only from the proxies TRUST_PROXY names (default: none), so a
    // client cannot pick its rate-limit bucket or the origin of the URLs it is handed.
    trustProxy: config.trustProxy as boolean | string,
    // Slow clients (slow-loris) must not hold connections: the header, then the whole request,
    // must arrive in time; idle sockets and keep-alive connections are closed.
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: config.http.idleTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      // How often Node checks the two time-outs above (default 30 s would let them overrun).
      connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs),
    },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // A body is {…, data: [ {row} ]}: two levels above each row's own MAX_JSON_DEPTH.
  registerJsonBody(app, (config.fileLimits.maxJsonDepth ?? DEFAULT_LIMITS.maxJsonDepth) + 2);
  await registerRateLimit(app, config.rateLimitPerMinute);
  await registerOpenApi(app, config);

  app.setErrorHandler((err, req, reply) => {
    const mapped = toHttpError(fromFastifyError(err, config));
    if (mapped.status >= 500) req.log.error({ err }, 'request failed');
    void reply.status(mapped.status).send(mapped.body);
  });
  let webAppBuilt = false;
  app.setNotFoundHandler((req, reply) => {
    // /imports/imp_… reloaded in a browser: the dashboard routes it (web-app.ts).
    if (webAppBuilt && isAppRoute(req)) return sendApp(reply);
    const mapped = toHttpError(new AppError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`));
    void reply.status(404).send(mapped.body);
  });

  // A NUL in the URL (an id, a query value) would reach PostgreSQL, which cannot store it.
  app.addHook('onRequest', async (req) => {
    if (/%00/i.test(req.url) || req.url.includes('\u0000')) {
      throw new AppError('invalid_request', 'The URL contains a NUL character (%00); ids and query values cannot contain it.');
    }
  });

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => {
    await checkDatabase(deps.db);
    return { ok: true };
  });

  // Everything under /v1 takes an API key, checked once by the scope's onRequest hook (before
  // any body is read) ...
  await app.register(
    async (v1) => {
      requireApiKey(v1, deps.db);
      await v1.register(importRoutes(deps));
      await v1.register(cancelRoutes(deps));
      await v1.register(revertRoutes(deps));
      await v1.register(reviewRoutes(deps));
      await v1.register(webhookRoutes(deps));
      await v1.register(resourceRoutes(deps));
      await v1.register(eventRoutes(deps));
    },
    { prefix: '/v1' },
  );
  // ... except the signed upload and download URLs, whose signature is their authentication.
  await app.register(uploadRoutes(deps), { prefix: '/v1' });
  await app.register(downloadRoutes(deps), { prefix: '/v1' });
  // The dashboard at / (built static files; the API above keeps its paths).
  webAppBuilt = await registerWebApp(app);
  return app;
}

/** Turns Fastify's own errors (validation, body size, bad JSON) into catalog errors. */
function fromFastifyError(err: unknown, config: Readonly<Config>): unknown {
  if (err instanceof AppError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const details = err.validation.flatMap((v) => {
      const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const unknownKeys = (v.params as { keys?: unknown }).keys;
      if (v.keyword === 'unrecognized_keys' && Array.isArray(unknownKeys)) {
        return unknownKeys.map((k) => ({ field: path ? `${path}.${String(k)}` : String(k), in: err.validationContext, message: 'is not a known option' }));
      }
      return [{ field: path || null, in: err.validationContext, message: v.message }];
    });
    const summary = details.map((d) => (d.field ? `${d.field}: ${d.message}` : d.message)).join('; ');
    return new AppError('invalid_request', `Invalid ${err.validationContext ?? 'request'}: ${summary}`, details);
  }
  const code = (err as { code?: string }).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new AppError(
      'sync_too_large',
      `The request body exceeds the sync limit (${config.limits.syncMaxBytes} bytes of data). Create the import with upload_mode "async" and PUT the file to its _upload_url.`,
    );
  }
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 400 || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new AppError('invalid_request', `The request could not be read: ${(err as Error).message}. Send a JSON body with Content-Type: application/json.`);
  }
  if (status === 415) return new AppError('invalid_request', 'Unsupported Content-Type; send application/json.');
  return err;
}
