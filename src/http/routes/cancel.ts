import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { cancelImport } from '../../imports/cancel-import.js';
import { ImportView } from '../../imports/import-view.js';
import { getImportView } from '../../imports/read-imports.js';
import type { AppDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { AUTHENTICATED, errorResponses } from '../responses.js';

export function cancelRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/imports/:id/cancel',
      {
        schema: {
          operationId: 'cancelImport',
          summary: 'Cancel an import',
          description: 'A requested, queued or processing import ends `failed` with reason `canceled`; the running phase is rolled back. 409 for a final import.',
          tags: ['imports'],
          params: z.object({ id: z.string().min(1).max(200).describe('The import id (imp_…).') }),
          response: { 200: ImportView, ...errorResponses(...AUTHENTICATED, 404, 409) },
        },
      },
      async (req) => {
        const actor = actorOf(req);
        await cancelImport(deps.db, actor, req.params.id, deps.storage);
        return getImportView(deps.db, actor.organizationId, req.params.id);
      },
    );
  };
}
