import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getResource, RESOURCES } from '../../resources/index.js';
import { listRecords } from '../../resources/records.js';
import { describeResource, ResourceView } from '../../resources/describe-resource.js';
import { page } from '../../imports/read-imports.js';
import type { AppDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { COMMON_ERRORS, PageQuery, Pagination } from '../pagination.js';

const NameParams = z.object({ name: z.string() });

export function resourceRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/resources',
      {
        schema: {
          summary: 'The importable resources, with JSON Schema',
          tags: ['resources'],
          response: { 200: z.object({ data: z.array(ResourceView) }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        await actorOf(deps.db, req);
        return { data: RESOURCES.map(describeResource) };
      },
    );

    app.get(
      '/resources/:name',
      {
        schema: { summary: 'One resource definition', tags: ['resources'], params: NameParams, response: { 200: ResourceView, ...COMMON_ERRORS } },
      },
      async (req) => {
        await actorOf(deps.db, req);
        return describeResource(getResource(req.params.name));
      },
    );

    app.get(
      '/resources/:name/records',
      {
        schema: {
          summary: "The organization's records of a resource",
          tags: ['resources'],
          params: NameParams,
          querystring: PageQuery,
          response: { 200: z.object({ data: z.array(z.record(z.string(), z.unknown())), pagination: Pagination }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const actor = await actorOf(deps.db, req);
        const def = getResource(req.params.name);
        const { rows, total } = await listRecords(deps.db, def, actor.organizationId, req.query);
        return page(rows, total, req.query);
      },
    );
  };
}
