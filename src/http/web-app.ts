import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// The dashboard (web/, built into web/dist by scripts/build-web.ts) served by the API process
// itself at /, same origin as /v1. Hashed assets are cached for good; index.html never is, so
// a rebuild shows at the next load. Any other GET outside the API (/imports/imp_…, /records/…)
// answers index.html, and the app routes it in the browser.

export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/** Paths that belong to the API, never to the app: these keep their JSON 404s. */
const API_PATHS = /^\/(v1|docs|openapi\.json|healthz)(\/|$|\?)/;

/** Registers the dashboard's files; false (and a page saying how to build it at /) when not built. */
export async function registerWebApp(app: FastifyInstance, dist = WEB_DIST): Promise<boolean> {
  const built = fs.existsSync(path.join(dist, 'index.html'));
  if (!built) {
    app.get('/', { schema: { hide: true } }, (_req, reply) =>
      reply
        .status(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>Dashboard not built</title><p>The dashboard has not been built. Run <code>npm run build:web</code> ' +
            '(or <code>npm start</code>, which builds it when missing) and reload. The API is at <code>/v1</code>, its reference at <a href="/docs">/docs</a>.</p>',
        ),
    );
    return false;
  }
  await app.register(fastifyStatic, {
    root: dist,
    prefix: '/',
    // One route per built file, not a catch-all `/*`: a catch-all would also match API paths
    // the router refuses (a path parameter past its length limit fell through to it and became
    // a 404 instead of the 414 uri_too_long). The app's own routes reach index.html through the
    // not-found handler (isAppRoute). The files are those of the build at start-up.
    wildcard: false,
    index: ['index.html'],
    // Dot files (the build stamp) are not served.
    dotfiles: 'ignore',
    cacheControl: false,
    setHeaders(res, file) {
      const immutable = file.includes(`${path.sep}assets${path.sep}`);
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return true;
}

/** For the not-found handler: a browser's GET of an app route gets the app. */
export function isAppRoute(req: FastifyRequest): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && !API_PATHS.test(req.url);
}

export function sendApp(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-cache').sendFile('index.html');
}
