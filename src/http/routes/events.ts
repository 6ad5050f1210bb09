import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { listEvents } from '../../imports/events.js';
import type { AppDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { COMMON_ERRORS, PageQuery, Pagination } from '../pagination.js';

const EventView = z.object({
  id: z.string(),
  object: z.literal('event'),
  type: z.enum(['record.created', 'record.updated', 'record.deleted']),
  resource: z.string(),
  record_id: z.string(),
  import_id: z.string().nullable(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  created_at: z.number().int(),
});

export function eventRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/events',
      {
        schema: {
          summary: 'Change events: one per record created, updated or deleted by an import',
          tags: ['events'],
          querystring: PageQuery.extend({ import_id: z.string().optional() }),
          response: { 200: z.object({ data: z.array(EventView), pagination: Pagination }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const actor = await actorOf(deps.db, req);
        return listEvents(deps.db, actor.organizationId, req.query);
      },
    );
  };
}
