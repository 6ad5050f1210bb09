import type { Queryable } from '../db/db.js';
import type { WebhookEventType } from '../domain/webhook-events.js';
import { newId } from '../ids.js';

// The outbox: an import's ending event, one delivery row per enabled endpoint of its
// organization that wants the event type. Written by endImport in the transaction that sets
// the final status, so an ending and its deliveries commit together or not at all; the
// workers send them (worker/webhook-delivery.ts). One event id for all of them.

export async function enqueueEndingEvent(tx: Queryable, importId: string, type: WebhookEventType): Promise<void> {
  await tx.query(
    `INSERT INTO webhook_deliveries (id, event_id, event_type, endpoint_id, organization_id, import_id)
     SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), $2, $3, e.id, e.organization_id, i.id
     FROM imports i JOIN webhook_endpoints e ON e.organization_id = i.organization_id
     WHERE i.id = $1 AND e.enabled AND $3 = ANY (e.event_types)`,
    [importId, newId('evt_'), type],
  );
}
