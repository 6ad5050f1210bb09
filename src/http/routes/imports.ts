import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createImport } from '../../imports/create-import.js';
import { CreateImportBody } from '../../imports/create-import-body.js';
import { ImportView } from '../../imports/import-view.js';
import { importUrls } from '../../imports/import-urls.js';
import { idempotentCreate, requestFingerprint, type StoredResponse } from '../../imports/idempotency.js';
import { AppError } from '../../errors.js';
import { getImportView, listImportViews, listRowErrors } from '../../imports/read-imports.js';
import { RESOURCE_NAMES } from '../../resources/index.js';
import type { RouteDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { rawSyncData } from '../json-body.js';
import { publicBaseUrl } from '../public-url.js';
import { COMMON_ERRORS, ErrorBody, PageQuery, Pagination } from '../pagination.js';

const IdParams = z.object({ id: z.string() });

const RowErrorView = z.object({
  row: z.number().int(),
  line: z.number().int().describe('The row as a person finds it in the file (header = 1): CSV physical line, XLSX sheet row, NDJSON line; row + 1 for JSON arrays.'),
  phase: z.string(),
  code: z.string(),
  field: z.string().nullable(),
  message: z.string(),
  // Passed through as stored: z.record would rebuild the object by assignment and drop a
  // "__proto__" column, and `data` must be the row as uploaded (issue 18 item 8).
  data: z
    .custom<Record<string, unknown>>((v) => typeof v === 'object' && !Array.isArray(v), 'an object')
    .nullable()
    .meta({ type: 'object', additionalProperties: true }),
});

// Declared so that OpenAPI shows it; other headers pass through untouched.
const CreateHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional()
    .describe(
      'Makes the create safe to retry (README "Retrying a create safely"): within 24 hours, the same key with the same body returns the first response ' +
        '(same status and body, header `Idempotent-Replayed: true`) and creates nothing; the same key with another body → 422 `idempotency_key_reused`; ' +
        'while the first request with the key is still running, a second one waits for its response (409 `idempotency_key_in_use` after 30 s). Per organization. ' +
        'Up to 255 printable ASCII characters, e.g. a UUID.',
    ),
});

const GetQuery = z.object({
  include_upload_csv: z.stringbool().default(false),
  include_upload_json: z.stringbool().default(false),
  include_errors_csv: z.stringbool().default(false),
  include_errors_json: z.stringbool().default(false),
});

export function importRoutes(deps: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/imports',
      {
        schema: {
          summary: 'Create an import',
          description:
            'Sync: rows in `data`; prevalidation and preparsing run in the request and the import is answered `queued` (or `failed` when the data is unusable). Over the sync limit → 413. ' +
            'Async: no `data`; the import is answered `requested` with a signed, expiring `_upload_url` to PUT the file to (any format, any size up to the upload limit).',
          tags: ['imports'],
          headers: CreateHeaders,
          body: CreateImportBody,
          response: { 201: ImportView, ...COMMON_ERRORS, 409: ErrorBody, 413: ErrorBody, 422: ErrorBody },
        },
      },
      async (req, reply) => {
        const actor = await actorOf(deps.db, req);
        const view = (id: string) => getImportView(deps.db, actor.organizationId, id, (imp) => importUrls(deps, publicBaseUrl(deps.config, req), imp));
        const create = async (importId?: string): Promise<StoredResponse> => {
          const created = await createImport(deps, actor, req.body, rawSyncData(req), importId);
          const body = await view(created.id);
          if (created.queued) deps.onQueued?.();
          return { statusCode: 201, body };
        };
        const key = req.headers['idempotency-key'];
        if (key === undefined) {
          const res = await create();
          return reply.status(201).send(res.body as z.infer<typeof ImportView>);
        }
        const res = await idempotentCreate({
          db: deps.db,
          organizationId: actor.organizationId,
          key,
          fingerprint: requestFingerprint('POST', '/v1/imports', req.body, rawSyncData(req)),
          create,
          current: (id) =>
            view(id).then(
              (body) => ({ statusCode: 201, body }),
              (err: unknown) => (err instanceof AppError && err.code === 'not_found' ? null : Promise.reject(err)),
            ),
        });
        if (res.replayed) reply.header('idempotent-replayed', 'true');
        // Only a created import is remembered: the status is always 201.
        return reply.status(201).send(res.body as z.infer<typeof ImportView>);
      },
    );

    app.get(
      '/imports',
      {
        schema: {
          summary: 'List imports, newest first',
          tags: ['imports'],
          querystring: PageQuery.extend({
            status: z.enum(['requested', 'queued', 'processing', 'completed', 'failed', 'timed_out', 'expired']).optional(),
            resource: z.enum(RESOURCE_NAMES).optional(),
          }),
          response: { 200: z.object({ data: z.array(ImportView), pagination: Pagination }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const actor = await actorOf(deps.db, req);
        const base = publicBaseUrl(deps.config, req);
        return listImportViews(deps.db, actor.organizationId, req.query, (imp) => importUrls(deps, base, imp));
      },
    );

    app.get(
      '/imports/:id',
      {
        schema: {
          summary: 'Retrieve an import',
          description:
            'While `requested`, `_upload_url` is a fresh signed URL to PUT the file to. Each `include_*` flag mints a signed download URL ' +
            '(valid for DOWNLOAD_URL_TTL_SECONDS) for that file when it exists, else leaves it null: the original rows as CSV or JSON ' +
            'whatever format was uploaded, and the row errors as CSV (formula cells neutralised) or JSON.',
          tags: ['imports'],
          params: IdParams,
          querystring: GetQuery,
          response: { 200: ImportView, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const actor = await actorOf(deps.db, req);
        return getImportView(deps.db, actor.organizationId, req.params.id, (imp) => importUrls(deps, publicBaseUrl(deps.config, req), imp, req.query));
      },
    );

    app.get(
      '/imports/:id/errors',
      {
        schema: {
          summary: "An import's row errors, in row order",
          tags: ['imports'],
          params: IdParams,
          querystring: PageQuery,
          response: { 200: z.object({ data: z.array(RowErrorView), pagination: Pagination }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const actor = await actorOf(deps.db, req);
        return listRowErrors(deps.db, actor.organizationId, req.params.id, req.query);
      },
    );
  };
}
