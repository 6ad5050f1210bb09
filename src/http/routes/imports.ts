import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROW_ERROR_CODES } from '../../errors.js';
import { createImport } from '../../imports/create-import.js';
import { CreateImportBody } from '../../imports/create-import-body.js';
import { ImportStatusEnum, ImportView, PhaseNameEnum } from '../../imports/import-view.js';
import { importUrls } from '../../imports/import-urls.js';
import { idempotentCreate, requestFingerprint, type StoredResponse } from '../../imports/idempotency.js';
import { AppError } from '../../errors.js';
import { getImportView, listImportViews, listRowErrors } from '../../imports/read-imports.js';
import { CHANGE_KINDS, listImportChanges } from '../../imports/import-changes.js';
import { RESOURCE_NAMES } from '../../resources/index.js';
import type { RouteDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { rawSyncData } from '../json-body.js';
import { documentAs, queryFlag } from '../openapi-schema.js';
import { bulkListQueryShape, listQueryShape, Pagination, rowListQueryShape } from '../pagination.js';
import { publicBaseUrl } from '../public-url.js';
import { AUTHENTICATED, errorResponses } from '../responses.js';

/** `:id` of every /v1/imports/{id}… route (review.ts and revert.ts too). */
export const ImportIdParams = z.object({ id: z.string().min(1).max(200).describe('The import id (imp_…).') });

// `resource` is validated by the use case (400 unknown_resource naming the valid ones); the
// document lists them.
export const CreateImportRequest = CreateImportBody.extend({
  resource: documentAs(z.string(), { type: 'string', enum: RESOURCE_NAMES, description: 'The resource to import (GET /v1/resources).' }),
}).meta({ id: 'CreateImportRequest' });

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

const ChangeKindEnum = z.enum(CHANGE_KINDS).meta({ id: 'ChangeKind' });

export const RowErrorCodeEnum = z.enum(ROW_ERROR_CODES).meta({ id: 'RowErrorCode' });

const RowErrorView = z
  .object({
    row: z.number().int().describe('1-based data row of the file (header excluded).'),
    line: z.number().int().describe('The row as a person finds it in the file (header = 1): CSV physical line, XLSX sheet row, NDJSON line; row + 1 for JSON arrays.'),
    phase: PhaseNameEnum,
    code: RowErrorCodeEnum,
    field: z.string().nullable(),
    message: z.string().describe('What is wrong and what was expected.'),
    data: z
      // Objects pass through as stored: z.record would rebuild them by assignment and drop a
      // "__proto__" column, and `data` must be the row as uploaded (issue 18 item 8).
      .union([
        z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object').meta({ type: 'object', additionalProperties: true }),
        z.string(),
        z.number(),
        z.boolean(),
        z.array(z.unknown()),
      ])
      .nullable()
      .describe('The row as uploaded, by header; each value bounded in this listing (see data_truncated).'),
    data_truncated: z
      .literal(true)
      .optional()
      .describe('Present (true) when some value (or the row itself) was too large for the listing and was cut; the errors download (include_errors_json / include_errors_csv) has the whole row.'),
  })
  .meta({ id: 'RowError', description: 'One removed row: why, and the row as uploaded.' });

const ChangeView = z
  .object({
    id: z.string().describe('The change event\'s id (evt_…, time-ordered); for a dry run, the id of its forecast — no event exists.'),
    object: z.literal('change'),
    change: ChangeKindEnum,
    resource: z.enum(RESOURCE_NAMES).describe('The changed record\'s resource: the import\'s own, or another whose references to deleted records were cleared.'),
    record_id: z.string(),
    before: z.record(z.string(), z.unknown()).nullable().describe('The record before the change (null when created).'),
    after: z.record(z.string(), z.unknown()).nullable().describe('The record after the change (null when deleted).'),
  })
  .meta({ id: 'Change', description: 'One record change an import made — or, for a dry run, would make. The same shape for both.' });
const ChangeList = z.object({ data: z.array(ChangeView), pagination: Pagination }).meta({ id: 'ChangeList' });

const ImportList = z.object({ data: z.array(ImportView), pagination: Pagination }).meta({ id: 'ImportList' });
const RowErrorList = z.object({ data: z.array(RowErrorView), pagination: Pagination }).meta({ id: 'RowErrorList' });

const GetQuery = z
  .object({
    include_upload_csv: queryFlag('Mint `_upload_csv_url`: the original rows as CSV (when has_upload_file).'),
    include_upload_json: queryFlag('Mint `_upload_json_url`: the original rows as a JSON array (when has_upload_file).'),
    include_errors_csv: queryFlag('Mint `_errors_csv_url`: the row errors as CSV (when has_errors_file).'),
    include_errors_json: queryFlag('Mint `_errors_json_url`: the row errors as a JSON array (when has_errors_file).'),
    include_results_csv: queryFlag(
      'Mint `_results_csv_url`: one line per input row — row, line, outcome (created, updated, unchanged, deleted, duplicate, error, unprocessed), record_id, error_code (when has_results_file; a dry run\'s is its forecast).',
    ),
    include_results_json: queryFlag('Mint `_results_json_url`: the per-row results as a JSON array of { row, line, outcome, record_id, error_code } (when has_results_file).'),
  });

export function importRoutes(deps: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/imports',
      {
        schema: {
          operationId: 'createImport',
          summary: 'Create an import',
          description:
            'Sync: rows in `data`; prevalidation and preparsing run in the request and the import is answered `queued` (or `failed` when the data is unusable). Over the sync limit → 413. ' +
            'Async: no `data`; the import is answered `requested` with a signed, expiring `_upload_url` to PUT the file to (any format, any size up to the upload limit).',
          tags: ['imports'],
          headers: CreateHeaders,
          body: CreateImportRequest,
          response: { 201: ImportView, ...errorResponses(...AUTHENTICATED, 409, 413, 422) },
        },
      },
      async (req, reply) => {
        const actor = actorOf(req);
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
          operationId: 'listImports',
          summary: 'List imports, newest first',
          description: 'Filter by `status` and `resource`; page with `starting_after` / `ending_before` an import id (or `page`).',
          tags: ['imports'],
          querystring: z
            .object({
              ...listQueryShape,
              status: ImportStatusEnum.optional(),
              resource: z.enum(RESOURCE_NAMES).optional(),
            })
            .strict(),
          response: { 200: ImportList, ...errorResponses(...AUTHENTICATED) },
        },
      },
      async (req) => {
        const base = publicBaseUrl(deps.config, req);
        return listImportViews(deps.db, actorOf(req).organizationId, req.query, (imp) => importUrls(deps, base, imp));
      },
    );

    app.get(
      '/imports/:id',
      {
        schema: {
          operationId: 'getImport',
          summary: 'Retrieve an import',
          description:
            'While `requested`, `_upload_url` is a fresh signed URL to PUT the file to. Each `include_*` flag mints a signed download URL ' +
            '(valid for DOWNLOAD_URL_TTL_SECONDS) for that file when it exists, else leaves it null: the original rows as CSV or JSON ' +
            'whatever format was uploaded, and the row errors as CSV (formula cells neutralised) or JSON.',
          tags: ['imports'],
          params: ImportIdParams,
          querystring: GetQuery,
          response: { 200: ImportView, ...errorResponses(...AUTHENTICATED, 404) },
        },
      },
      async (req) => {
        return getImportView(deps.db, actorOf(req).organizationId, req.params.id, (imp) =>
          importUrls(deps, publicBaseUrl(deps.config, req), imp, req.query),
        );
      },
    );

    app.get(
      '/imports/:id/errors',
      {
        schema: {
          operationId: 'listImportErrors',
          summary: "An import's row errors, in row order",
          description:
            'Filter by `code` and `field`; page with `starting_after` / `ending_before` a row number (or `page`). Each error\'s `data` is bounded here ' +
            '(long values cut, `data_truncated: true`); the errors download has every row whole.',
          tags: ['imports'],
          params: ImportIdParams,
          querystring: z
            .object({
              ...rowListQueryShape,
              code: RowErrorCodeEnum.optional(),
              field: z.string().min(1).max(200).optional().describe('Only errors about this field.'),
            })
            .strict(),
          response: { 200: RowErrorList, ...errorResponses(...AUTHENTICATED, 404) },
        },
      },
      async (req) => listRowErrors(deps.db, actorOf(req).organizationId, req.params.id, req.query),
    );

    app.get(
      '/imports/:id/changes',
      {
        schema: {
          operationId: 'listImportChanges',
          summary: "An import's record changes (a dry run's: the would-be changes), in the order made",
          description:
            'Record id, created/updated/deleted, before and after. For a real import these are its change events; for a dry run (`dry_run: true`) the changes ' +
            'a real run would make — nothing was changed. Includes records of other resources whose references to deleted records were cleared. ' +
            'Filter by `change` and `record_id`; page with `starting_after` / `ending_before` a change id (or `page`).',
          tags: ['imports'],
          params: ImportIdParams,
          querystring: z
            .object({
              ...bulkListQueryShape,
              change: ChangeKindEnum.optional(),
              record_id: z.string().min(1).max(200).optional().describe('Only the changes of this record.'),
            })
            .strict(),
          response: { 200: ChangeList, ...errorResponses(...AUTHENTICATED, 404) },
        },
      },
      async (req) => listImportChanges(deps.db, actorOf(req).organizationId, req.params.id, req.query),
    );
  };
}
