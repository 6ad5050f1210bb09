import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ImportView } from '../../imports/import-view.js';
import { importUrls } from '../../imports/import-urls.js';
import { previewImport, PREVIEW_ROWS } from '../../imports/preview-import.js';
import { getImportView } from '../../imports/read-imports.js';
import { startImport, StartImportBody } from '../../imports/start-import.js';
import type { RouteDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { publicBaseUrl } from '../public-url.js';
import { AUTHENTICATED, errorResponses } from '../responses.js';
import { ImportIdParams } from './imports.js';

// Review before running (issue 15): an async import created with `review: true` keeps its file
// and waits `requested`; GET …/preview shows how it would be read, POST …/start queues it.


const MatchKindEnum = z
  .enum(['exact', 'normalised', 'synonym', 'given'])
  .meta({ id: 'ColumnMatch', description: 'How a header maps to its field: its exact name, the name up to case/spaces/punctuation, a known synonym ("Mobile" → phone), or the import\'s column_mapping.' });

export const ImportPreview = z
  .object({
    object: z.literal('import_preview'),
    import_id: z.string(),
    format: z.enum(['csv', 'xlsx', 'json', 'ndjson']).describe('Detected from the bytes.'),
    encoding: z.string().nullable().describe('Text encoding the file is read in (utf-8, utf-16le, utf-16be, windows-1252); null for XLSX.'),
    delimiter: z.enum([',', ';', '\t', '|']).nullable().describe('CSV delimiter; null for other formats.'),
    headers: z.array(z.string()).describe('The header row (JSON: the keys of the rows, in order seen).'),
    rows: z
      .array(z.array(z.string().nullable()))
      .describe(`The first ${PREVIEW_ROWS} data rows (at most), one cell per header as text; null where the row has no value. Cells past 1000 characters are cut (…).`),
    columns: z
      .array(z.object({ header: z.string(), field: z.string().nullable().describe('The field it maps to; null: ignored.'), match: MatchKindEnum.nullable() }))
      .describe('Each header, in order, with the field it would be imported into.'),
    fields: z
      .array(
        z.object({
          name: z.string(),
          type: z.string().describe('string, integer, number, object or array (GET /v1/resources/{name} has the full schema).'),
          required_to_create: z.boolean(),
          lookup_key: z.boolean(),
          mapped_from: z.string().nullable().describe('The header mapped to it; null when none is.'),
        }),
      )
      .describe('Every field of the resource (id first), for a field picker.'),
    missing_required: z.array(z.string()).describe('Fields required to create a record that no header maps to (none for delete; not the location field when the import has a location_id).'),
    missing_lookup_keys: z.array(z.string()).describe('Lookup keys no header maps to.'),
    existing_records: z.number().int().describe("The organization's current number of records of this resource (at the import's location_id, for resources tied to one): the base of overwrite's mass-delete guard."),
    mass_delete_max_ratio: z.number().describe('The configured share of existing records an overwrite may delete without allow_mass_delete (MASS_DELETE_MAX_RATIO).'),
  })
  .meta({ id: 'ImportPreview', description: "A review import's stored file as the phases would read it, before any of them runs." });

const StartImportRequest = StartImportBody.meta({ id: 'StartImport' });

export function reviewRoutes(deps: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/imports/:id/preview',
      {
        schema: {
          operationId: 'previewImport',
          summary: 'Preview a review import before it runs',
          description:
            'For an import created with `review: true` whose file has been uploaded and which has not been started: the detected format, encoding and delimiter, ' +
            `the headers, the first ${PREVIEW_ROWS} rows, and for each header the field it maps to and how (exact, normalised, synonym, given); the required-to-create ` +
            'fields and lookup keys no header maps to. Only the first rows of the file are read. 409 `invalid_state` when the import is not a review import, its file ' +
            'has not arrived, or it has started; 422 `unreadable_file` with the message prevalidation would fail the import with.',
          tags: ['imports'],
          params: ImportIdParams,
          response: { 200: ImportPreview, ...errorResponses(...AUTHENTICATED, 404, 409, 422) },
        },
      },
      async (req) => previewImport(deps, actorOf(req).organizationId, req.params.id),
    );

    app.post(
      '/imports/:id/start',
      {
        schema: {
          operationId: 'startImport',
          summary: 'Start a review import',
          description:
            'Queues a review import awaiting start; the phases then run as for any import. Optionally with the complete `column_mapping` to run with ' +
            '(only the headers it names are imported; omit it to run with the mapping the preview shows), `duplicate_handling` and `allow_mass_delete`. ' +
            'A mapping naming a field the resource lacks or a header the file lacks → 400 `invalid_column_mapping`; not awaiting start → 409 `invalid_state`.',
          tags: ['imports'],
          params: ImportIdParams,
          body: StartImportRequest.optional(),
          response: { 200: ImportView, ...errorResponses(...AUTHENTICATED, 404, 409, 422) },
        },
        // The body is optional: a POST without one starts with the choices made at creation.
        preValidation: async (req) => {
          req.body ??= {};
        },
      },
      async (req) => {
        const actor = actorOf(req);
        await startImport(deps, actor, req.params.id, req.body ?? {});
        deps.onQueued?.();
        return getImportView(deps.db, actor.organizationId, req.params.id, (imp) => importUrls(deps, publicBaseUrl(deps.config, req), imp));
      },
    );
  };
}
