import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EVENT_TYPES, listEvents } from '../../imports/events.js';
import { RESOURCE_NAMES } from '../../resources/index.js';
import type { AppDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { epochSecondsQuery } from '../openapi-schema.js';
import { bulkListQueryShape, Pagination } from '../pagination.js';
import { AUTHENTICATED, errorResponses } from '../responses.js';

const EventTypeEnum = z.enum(EVENT_TYPES).meta({ id: 'EventType' });

const EventView = z
  .object({
    id: z.string().describe('evt_…; ids are time-ordered.'),
    object: z.literal('event'),
    type: EventTypeEnum,
    resource: z.enum(RESOURCE_NAMES),
    record_id: z.string(),
    import_id: z.string().nullable(),
    before: z.record(z.string(), z.unknown()).nullable().describe('The record before the change (null when created).'),
    after: z.record(z.string(), z.unknown()).nullable().describe('The record after the change (null when deleted).'),
    created_at: z.number().int().describe('Epoch seconds.'),
  })
  .meta({ id: 'Event', description: 'One change of one record, written in the same transaction as the change.' });

const EventList = z.object({ data: z.array(EventView), pagination: Pagination }).meta({ id: 'EventList' });

export function eventRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/events',
      {
        schema: {
          operationId: 'listEvents',
          summary: 'List change events, oldest first',
          description:
            'One event per record created, updated or deleted by an import. Filter by `import_id`, `record_id`, `type` and `since`; ' +
            'page with `starting_after` / `ending_before` an event id (or `page`).',
          tags: ['events'],
          querystring: z
            .object({
              ...bulkListQueryShape,
              import_id: z.string().min(1).max(200).optional().describe('Only the events of this import.'),
              record_id: z.string().min(1).max(200).optional().describe('Only the events of this record (its history).'),
              type: EventTypeEnum.optional(),
              since: epochSecondsQuery('Only events created at or after this time (epoch seconds).'),
            })
            .strict(),
          response: { 200: EventList, ...errorResponses(...AUTHENTICATED) },
        },
      },
      async (req) => listEvents(deps.db, actorOf(req).organizationId, req.query),
    );
  };
}
