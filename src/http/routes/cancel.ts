import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { cancelImport } from '../../imports/cancel-import.js';
import { ImportView } from '../../imports/import-view.js';
import { getImportView } from '../../imports/read-imports.js';
import type { AppDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { COMMON_ERRORS, ErrorBody } from '../pagination.js';

export function cancelRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/imports/:id/cancel',
      {
        schema: {
          summary: 'Cancel an import',
          description: 'A requested, queued or processing import ends `failed` with reason `canceled`; the running phase is rolled back. 409 for a final import.',
          tags: ['imports'],
          params: z.object({ id: z.string() }),
          response: { 200: ImportView, ...COMMON_ERRORS, 409: ErrorBody },
        },
      },
      async (req) => {
        const actor = await actorOf(deps.db, req);
        await cancelImport(deps.db, actor, req.params.id, deps.storage);
        return getImportView(deps.db, actor.organizationId, req.params.id);
      },
    );
  };
}
