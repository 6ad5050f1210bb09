import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { listResourceRecords } from '../../imports/read-records.js';
import { describeResource, ResourceView } from '../../resources/describe-resource.js';
import { getResource, RESOURCE_NAMES, RESOURCES } from '../../resources/index.js';
import { recordSchema } from '../../resources/record-schema.js';
import type { AppDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { documentAs, epochSecondsQuery } from '../openapi-schema.js';
import { bulkListQueryShape, Pagination } from '../pagination.js';
import { AUTHENTICATED, errorResponses } from '../responses.js';

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const ResourceList = z.object({ data: z.array(ResourceView) }).meta({ id: 'ResourceList' });

export function resourceRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/resources',
      {
        schema: {
          operationId: 'listResources',
          summary: 'The importable resources',
          description: 'Each definition with its fields (type, format, enum, limits, lookup keys, required to create, references) and the JSON Schema of a row.',
          tags: ['resources'],
          response: { 200: ResourceList, ...errorResponses(...AUTHENTICATED) },
        },
      },
      async () => ({ data: RESOURCES.map(describeResource) }),
    );

    app.get(
      '/resources/:name',
      {
        schema: {
          operationId: 'getResource',
          summary: 'One resource definition',
          tags: ['resources'],
          params: z.object({ name: documentAs(z.string(), { type: 'string', enum: RESOURCE_NAMES, description: 'The resource.' }) }),
          response: { 200: ResourceView, ...errorResponses(...AUTHENTICATED) },
        },
      },
      async (req) => describeResource(getResource(req.params.name)),
    );

    // One route per resource, so each documents its own record schema and lookup-key filters.
    for (const def of RESOURCES) {
      const keyFilters = Object.fromEntries(
        def.lookupKeys.map((k) => [k, z.string().min(1).max(1000).optional().describe(`Only the record(s) whose ${k} is this (compared as stored: trimmed${k === 'email' ? ', lower-cased' : ''}).`)]),
      );
      const RecordList = z.object({ data: z.array(recordSchema(def)), pagination: Pagination }).meta({ id: `${pascal(def.name)}RecordList` });
      app.get(
        `/resources/${def.name}/records`,
        {
          schema: {
            operationId: `list${pascal(def.name)}Records`,
            summary: `List the organization's ${def.name} records`,
            description:
              `In id order. Filter by \`id\`, a lookup key (${def.lookupKeys.map((k) => `\`${k}\``).join(', ')}) or \`updated_since\`; ` +
              'page with `starting_after` / `ending_before` a record id (or `page`).',
            tags: ['records'],
            querystring: z
              .object({
                ...bulkListQueryShape,
                id: z.string().min(1).max(200).optional().describe(`Only the record with this id (${def.prefix}…).`),
                ...keyFilters,
                updated_since: epochSecondsQuery('Only records created or updated at or after this time (epoch seconds).'),
              })
              .strict(),
            response: { 200: RecordList, ...errorResponses(...AUTHENTICATED) },
          },
        },
        async (req) => {
          const q: Record<string, unknown> = req.query;
          const keys = Object.fromEntries(def.lookupKeys.map((k) => [k, typeof q[k] === 'string' ? q[k] : undefined]));
          return listResourceRecords(deps.db, actorOf(req).organizationId, def.name, { ...req.query, keys });
        },
      );
    }

    // Any other name: 400 naming the resources (the routes above match every valid one).
    app.get('/resources/:name/records', { schema: { hide: true, params: z.object({ name: z.string() }) } }, async (req) => {
      getResource(req.params.name);
      throw new Error(`unreachable: /resources/${req.params.name}/records has its own route`);
    });
  };
}
