import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ImportView } from '../../imports/import-view.js';
import { importUrls } from '../../imports/import-urls.js';
import { getImportView } from '../../imports/read-imports.js';
import { listRevertConflicts, revertImport } from '../../imports/revert-import.js';
import type { RouteDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { publicBaseUrl } from '../public-url.js';
import { AUTHENTICATED, errorResponses } from '../responses.js';
import { ImportIdParams } from './imports.js';

// Issue 16: taking a completed import back (imports/revert-import.ts).


export const RevertImportRequest = z
  .object({
    force: z.boolean().default(false).describe('Revert even though records it changed were changed since by something else: those later changes are overwritten too.'),
    allow_mass_delete: z
      .boolean()
      .default(false)
      .describe('Allow the revert to delete more than the mass-delete share (default 50%) of the existing records of the resource (the records the import created).'),
  })
  .strict()
  .meta({ id: 'RevertImportRequest', description: 'Options of a revert; the body may be left out.' });

export const RevertConflictView = z
  .object({
    resource: z.string().describe('The resource of the record.'),
    record_id: z.string(),
    change: z.enum(['created', 'updated', 'deleted']).describe('What the import being reverted did to the record.'),
    conflict: z
      .enum(['changed_since', 'deleted_since', 'external_id_taken'])
      .describe('changed_since / deleted_since: a later event (another import) changed or deleted it; external_id_taken: a record the import deleted cannot come back, another record holds its external_id now.'),
    later_event_id: z.string().nullable().describe('The latest event on the record since (GET /v1/events?record_id=…); null for external_id_taken.'),
    later_import_id: z.string().nullable().describe('The import that wrote that event.'),
    other_record_id: z.string().nullable().describe('external_id_taken: the record holding the external_id now.'),
  })
  .meta({ id: 'RevertConflict', description: 'A record a revert would change although something else changed it after the import being reverted.' });

const RevertConflictList = z
  .object({
    data: z.array(RevertConflictView),
    pagination: z.object({ page: z.number().int(), limit: z.number().int(), has_more: z.boolean(), total_count: z.number().int() }),
  })
  .meta({ id: 'RevertConflictList' });

const ConflictsQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).describe('Page number.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Conflicts per page, 1–1000.'),
});

export function revertRoutes(deps: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/imports/:id/revert',
      {
        schema: {
          operationId: 'revertImport',
          summary: 'Revert a completed import',
          description:
            'Queues a revert: an import of its own (`reverts` names this one; this one then shows `reverted_by`) that the workers run like any import and that writes its own events. ' +
            'Records the import created are deleted, records it updated get their values before it back, records it deleted (overwrite cleanup, deletes and the references they cleared) come back with the same ids. ' +
            '409 `revert_conflict` when records it changed were changed since by something else (the first ones in `details.conflicts`, all of them at GET /v1/imports/{id}/revert-conflicts), unless `force: true`; ' +
            '409 `mass_delete_refused` when it would delete more than the mass-delete share, unless `allow_mass_delete: true`; 409 `already_reverted` naming the revert; 409 `invalid_state` when the import is not completed or changed nothing.',
          tags: ['imports'],
          params: ImportIdParams,
          body: RevertImportRequest.nullish(),
          response: { 201: ImportView, ...errorResponses(...AUTHENTICATED, 404, 409) },
        },
      },
      async (req, reply) => {
        const actor = actorOf(req);
        const body = req.body ?? { force: false, allow_mass_delete: false };
        const created = await revertImport(deps, actor, req.params.id, body);
        const view = await getImportView(deps.db, actor.organizationId, created.id, (imp) => importUrls(deps, publicBaseUrl(deps.config, req), imp));
        deps.onQueued?.();
        return reply.status(201).send(view);
      },
    );

    app.get(
      '/imports/:id/revert-conflicts',
      {
        schema: {
          operationId: 'listRevertConflicts',
          summary: 'What a revert would overwrite',
          description:
            'The records the import changed that something else changed since, as of now, in (resource, record_id) order: what makes POST /v1/imports/{id}/revert answer 409 unless `force: true`. Empty when it can be reverted cleanly.',
          tags: ['imports'],
          params: ImportIdParams,
          querystring: ConflictsQuery,
          response: { 200: RevertConflictList, ...errorResponses(...AUTHENTICATED, 404) },
        },
      },
      async (req) => listRevertConflicts(deps.db, actorOf(req).organizationId, req.params.id, req.query.page, req.query.limit),
    );
  };
}
