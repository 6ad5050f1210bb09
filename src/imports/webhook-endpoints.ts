import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { WebhookEventType } from '../domain/webhook-events.js';

// Webhook endpoints of an organization (README "Webhooks"): where ending events are sent.
// The signing secret is shown once, when created or rotated; reads never show it.

export interface EndpointView {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
}

interface EndpointRow {
  id: string;
  url: string;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  created_at: Date;
}

const COLUMNS = 'id, url, event_types, enabled, disabled_reason, created_at';

function view(r: EndpointRow): EndpointView {
  return { id: r.id, object: 'webhook_endpoint', url: r.url, event_types: r.event_types, enabled: r.enabled, disabled_reason: r.disabled_reason, created_at: r.created_at.toISOString() };
}

const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** A URL an endpoint may have: absolute http(s), no credentials in it. Addresses are checked when sending. */
export function checkEndpointUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('invalid_request', `url "${url}" is not an absolute URL; expected e.g. https://example.com/hooks.`, [{ field: 'url', message: 'not an absolute URL' }]);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new AppError('invalid_request', `url must be http or https, not ${u.protocol.replace(':', '')}.`, [{ field: 'url', message: 'http or https only' }]);
  }
  if (u.username || u.password) {
    throw new AppError('invalid_request', 'url must not contain a user name or password.', [{ field: 'url', message: 'no credentials in the URL' }]);
  }
  return u.toString();
}

export async function createEndpoint(
  db: Queryable,
  organizationId: string,
  input: { url: string; event_types: WebhookEventType[]; enabled: boolean },
): Promise<EndpointView & { secret: string }> {
  const secret = newSecret();
  const res = await db.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (id, organization_id, url, event_types, enabled, secret) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [newId('we_'), organizationId, checkEndpointUrl(input.url), [...new Set(input.event_types)], input.enabled, secret],
  );
  return { ...view(res.rows[0]!), secret };
}

export async function listEndpoints(db: Queryable, organizationId: string): Promise<EndpointView[]> {
  const res = await db.query<EndpointRow>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 ORDER BY created_at, id`, [organizationId]);
  return res.rows.map(view);
}

export async function getEndpoint(db: Queryable, organizationId: string, id: string): Promise<EndpointView> {
  const res = await db.query<EndpointRow>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 AND id = $2`, [organizationId, id]);
  if (!res.rows[0]) throw new AppError('not_found', `No webhook endpoint "${id}" in this organization.`);
  return view(res.rows[0]);
}

/** Turns an endpoint on or off; turning it on clears the reason it was disabled for. */
export async function setEndpointEnabled(db: Queryable, organizationId: string, id: string, enabled: boolean): Promise<EndpointView> {
  const res = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET enabled = $3, disabled_reason = NULL, updated_at = now() WHERE organization_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [organizationId, id, enabled],
  );
  if (!res.rows[0]) throw new AppError('not_found', `No webhook endpoint "${id}" in this organization.`);
  return view(res.rows[0]);
}

export async function deleteEndpoint(db: Queryable, organizationId: string, id: string): Promise<void> {
  const res = await db.query('DELETE FROM webhook_endpoints WHERE organization_id = $1 AND id = $2', [organizationId, id]);
  if (res.rowCount === 0) throw new AppError('not_found', `No webhook endpoint "${id}" in this organization.`);
}

/** A new signing secret, shown once; deliveries from now on are signed with it. */
export async function rotateEndpointSecret(db: Queryable, organizationId: string, id: string): Promise<EndpointView & { secret: string }> {
  const secret = newSecret();
  const res = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET secret = $3, updated_at = now() WHERE organization_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [organizationId, id, secret],
  );
  if (!res.rows[0]) throw new AppError('not_found', `No webhook endpoint "${id}" in this organization.`);
  return { ...view(res.rows[0]), secret };
}

export interface DeliveryView {
  id: string;
  object: 'webhook_delivery';
  event_id: string;
  event_type: string;
  import_id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: { at: string; status_code: number | null; error: string | null; duration_ms: number }[];
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

export async function listDeliveries(db: Queryable, organizationId: string, endpointId: string): Promise<DeliveryView[]> {
  await getEndpoint(db, organizationId, endpointId);
  const res = await db.query<{
    id: string; event_id: string; event_type: string; import_id: string; status: DeliveryView['status']; next_attempt_at: Date; delivered_at: Date | null; created_at: Date;
    attempts: { at: string; status_code: number | null; error: string | null; duration_ms: number }[];
  }>(
    `SELECT d.id, d.event_id, d.event_type, d.import_id, d.status, d.next_attempt_at, d.delivered_at, d.created_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('at', a.attempted_at, 'status_code', a.status_code, 'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.attempt)
                 FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]'::jsonb) AS attempts
     FROM webhook_deliveries d WHERE d.endpoint_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT 100`,
    [endpointId],
  );
  return res.rows.map((r) => ({
    id: r.id,
    object: 'webhook_delivery',
    event_id: r.event_id,
    event_type: r.event_type,
    import_id: r.import_id,
    status: r.status,
    attempts: r.attempts.map((a) => ({ ...a, at: new Date(a.at).toISOString() })),
    next_attempt_at: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
    delivered_at: r.delivered_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
  }));
}

/** Sends a delivery again (same event id): due now, whatever it ended as. */
export async function resendDelivery(db: Queryable, organizationId: string, endpointId: string, deliveryId: string): Promise<void> {
  const res = await db.query(
    `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), retry_from = now(), locked_until = NULL
     WHERE id = $1 AND endpoint_id = $2 AND organization_id = $3`,
    [deliveryId, endpointId, organizationId],
  );
  if (res.rowCount === 0) throw new AppError('not_found', `No delivery "${deliveryId}" of webhook endpoint "${endpointId}".`);
}
