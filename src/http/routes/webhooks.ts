import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhook-events.js';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  resendDelivery,
  rotateEndpointSecret,
  setEndpointEnabled,
} from '../../imports/webhook-endpoints.js';
import type { AppDeps } from '../app.js';
import { actorOf } from '../auth.js';
import { AUTHENTICATED, errorResponses } from '../responses.js';

const Endpoint = z
  .object({
    id: z.string(),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().describe('Why the service turned it off (deliveries failing for 24 hours); null when enabled by you.'),
    created_at: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });

const EndpointWithSecret = Endpoint.extend({
  secret: z.string().describe('The signing secret. Shown only in this response: store it now.'),
}).meta({ id: 'WebhookEndpointWithSecret' });

const Delivery = z
  .object({
    id: z.string(),
    object: z.literal('webhook_delivery'),
    event_id: z.string().describe('The same in every attempt and re-send of the event: de-duplicate on it.'),
    event_type: z.string(),
    import_id: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.array(z.object({ at: z.string(), status_code: z.number().int().nullable(), error: z.string().nullable(), duration_ms: z.number().int() })),
    next_attempt_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

const IdParams = z.object({ id: z.string() });
const TAGS = ['webhooks'];

export function webhookRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/webhook_endpoints',
      {
        schema: {
          operationId: 'createWebhookEndpoint', summary: 'Register a webhook endpoint',
          description: 'Events of the chosen types are POSTed to `url`, signed with the returned `secret` (shown once). See README "Webhooks".',
          tags: TAGS,
          body: z.strictObject({
            url: z.string().max(2048).describe('http(s) URL; private, loopback and link-local addresses are refused when sending unless allowed by configuration.'),
            event_types: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1),
            enabled: z.boolean().default(true),
          }),
          response: { 201: EndpointWithSecret, ...errorResponses(...AUTHENTICATED, 404) },
        },
      },
      async (req, reply) => {
        const actor = actorOf(req);
        return reply.status(201).send(await createEndpoint(deps.db, actor.organizationId, req.body));
      },
    );

    app.get(
      '/webhook_endpoints',
      { schema: { operationId: 'listWebhookEndpoints', summary: 'List webhook endpoints', tags: TAGS, response: { 200: z.object({ data: z.array(Endpoint) }), ...errorResponses(...AUTHENTICATED, 404) } } },
      async (req) => ({ data: await listEndpoints(deps.db, actorOf(req).organizationId) }),
    );

    app.get(
      '/webhook_endpoints/:id',
      { schema: { operationId: 'getWebhookEndpoint', summary: 'Get a webhook endpoint', tags: TAGS, params: IdParams, response: { 200: Endpoint, ...errorResponses(...AUTHENTICATED, 404) } } },
      async (req) => getEndpoint(deps.db, actorOf(req).organizationId, req.params.id),
    );

    app.patch(
      '/webhook_endpoints/:id',
      {
        schema: {
          operationId: 'updateWebhookEndpoint', summary: 'Enable or disable a webhook endpoint',
          tags: TAGS,
          params: IdParams,
          body: z.strictObject({ enabled: z.boolean() }),
          response: { 200: Endpoint, ...errorResponses(...AUTHENTICATED, 404) },
        },
      },
      async (req) => setEndpointEnabled(deps.db, actorOf(req).organizationId, req.params.id, req.body.enabled),
    );

    app.delete(
      '/webhook_endpoints/:id',
      { schema: { operationId: 'deleteWebhookEndpoint', summary: 'Delete a webhook endpoint (and its deliveries)', tags: TAGS, params: IdParams, response: { 204: z.null(), ...errorResponses(...AUTHENTICATED, 404) } } },
      async (req, reply) => {
        await deleteEndpoint(deps.db, actorOf(req).organizationId, req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/webhook_endpoints/:id/rotate_secret',
      {
        schema: {
          operationId: 'rotateWebhookSecret', summary: 'Rotate the signing secret',
          description: 'A new secret, shown once in this response; deliveries from now on are signed with it.',
          tags: TAGS,
          params: IdParams,
          response: { 200: EndpointWithSecret, ...errorResponses(...AUTHENTICATED, 404) },
        },
      },
      async (req) => rotateEndpointSecret(deps.db, actorOf(req).organizationId, req.params.id),
    );

    app.get(
      '/webhook_endpoints/:id/deliveries',
      {
        schema: {
          operationId: 'listWebhookDeliveries', summary: 'Deliveries to an endpoint, newest first (the last 100), with their attempts',
          tags: TAGS,
          params: IdParams,
          response: { 200: z.object({ data: z.array(Delivery) }), ...errorResponses(...AUTHENTICATED, 404) },
        },
      },
      async (req) => ({ data: await listDeliveries(deps.db, actorOf(req).organizationId, req.params.id) }),
    );

    app.post(
      '/webhook_endpoints/:id/deliveries/:delivery_id/resend',
      {
        schema: {
          operationId: 'resendWebhookDelivery', summary: 'Send a delivery again (same event id), now',
          tags: TAGS,
          params: z.object({ id: z.string(), delivery_id: z.string() }),
          response: { 202: z.object({ id: z.string(), status: z.literal('pending') }), ...errorResponses(...AUTHENTICATED, 404) },
        },
      },
      async (req, reply) => {
        await resendDelivery(deps.db, actorOf(req).organizationId, req.params.id, req.params.delivery_id);
        deps.onQueued?.();
        return reply.status(202).send({ id: req.params.delivery_id, status: 'pending' as const });
      },
    );
  };
}
