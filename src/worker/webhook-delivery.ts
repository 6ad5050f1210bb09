import { createHmac } from 'node:crypto';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import { getImportView } from '../imports/read-imports.js';
import { postJson } from './outbound-http.js';

// Sending the outbox (lifecycle/webhook-outbox.ts), at least once. A worker claims due
// deliveries by setting `locked_until` (SKIP LOCKED: two workers never take the same one); a
// worker killed mid-send leaves its claim to run out, and another sends the delivery again —
// with the same event id, which is what receivers de-duplicate on. A 2xx answer delivers it;
// anything else (another status, a time-out, a refused address) is an attempt, retried with
// exponential back-off (WEBHOOK_RETRY_BASE_MS doubling, at most an hour apart) for
// WEBHOOK_GIVE_UP_HOURS; then the delivery fails and its endpoint is disabled with the reason.

const BATCH = 10;
const MAX_DELAY_MS = 3_600_000;

export interface DeliveryDeps {
  db: Db;
  config: Readonly<Config>;
  log: Logger;
}

interface Due {
  id: string;
  event_id: string;
  event_type: string;
  organization_id: string;
  import_id: string;
  payload: unknown;
  attempts: number;
  created_at: Date;
  url: string;
  secret: string;
  endpoint_id: string;
  expired: boolean;
}

/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`. */
export function signPayload(secret: string, body: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** Sends every delivery that is due now; returns how many were attempted. */
export async function deliverDueWebhooks(deps: DeliveryDeps): Promise<number> {
  let n = 0;
  for (;;) {
    const due = await claimDue(deps);
    if (due.length === 0) return n;
    for (const d of due) await deliverOne(deps, d);
    n += due.length;
  }
}

async function claimDue({ db, config }: DeliveryDeps): Promise<Due[]> {
  // Held long enough for one attempt with its time-out; if this worker dies, it runs out.
  const holdSeconds = Math.ceil(config.webhooks.timeoutMs / 1000) + 5;
  const res = await db.query<Due>(
    `WITH due AS (
       SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.locked_until IS NULL OR d.locked_until < now()) AND e.enabled
       ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED
     )
     UPDATE webhook_deliveries d SET locked_until = now() + make_interval(secs => $2)
     FROM due, webhook_endpoints e
     WHERE d.id = due.id AND e.id = d.endpoint_id
     RETURNING d.id, d.event_id, d.event_type, d.organization_id, d.import_id, d.payload, d.attempts, d.created_at,
       e.url, e.secret, e.id AS endpoint_id, d.retry_from < now() - make_interval(secs => $3) AS expired`,
    [BATCH, holdSeconds, config.webhooks.giveUpHours * 3600],
  );
  return res.rows;
}

async function eventBody(db: Db, d: Due): Promise<unknown> {
  if (d.payload) return d.payload;
  // Fixed at the first attempt: the import as it ended.
  const payload = {
    id: d.event_id,
    object: 'event',
    type: d.event_type,
    created_at: d.created_at.toISOString(),
    data: { object: await getImportView(db, d.organization_id, d.import_id) },
  };
  const res = await db.query<{ payload: unknown }>(
    'UPDATE webhook_deliveries SET payload = coalesce(payload, $2) WHERE id = $1 RETURNING payload',
    [d.id, JSON.stringify(payload)],
  );
  return res.rows[0]?.payload ?? payload;
}

async function deliverOne(deps: DeliveryDeps, d: Due): Promise<void> {
  const { db, config, log } = deps;
  const started = Date.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const body = JSON.stringify(await eventBody(db, d));
    const t = Math.floor(Date.now() / 1000);
    const res = await postJson(
      d.url,
      body,
      { 'user-agent': 'imports-webhooks/1', 'webhook-id': d.event_id, 'webhook-signature': signPayload(d.secret, body, t) },
      { timeoutMs: config.webhooks.timeoutMs, allowPrivate: config.webhooks.allowPrivateAddresses },
    );
    statusCode = res.statusCode;
    if (statusCode < 200 || statusCode >= 300) error = `answered ${statusCode}${statusCode >= 300 && statusCode < 400 ? ' (redirects are not followed)' : ''}`;
  } catch (err) {
    error = (err as Error).message;
  }
  const attempt = d.attempts + 1;
  const ok = error === null;
  await db.transaction(async (tx) => {
    await tx.query(
      'INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [d.id, attempt, statusCode, error?.slice(0, 500) ?? null, Date.now() - started],
    );
    if (ok) {
      await tx.query(`UPDATE webhook_deliveries SET status = 'delivered', attempts = $2, delivered_at = now(), locked_until = NULL WHERE id = $1`, [d.id, attempt]);
      return;
    }
    if (d.expired) {
      await tx.query(`UPDATE webhook_deliveries SET status = 'failed', attempts = $2, locked_until = NULL WHERE id = $1`, [d.id, attempt]);
      await tx.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1 AND enabled`, [
        d.endpoint_id,
        `deliveries failed for ${config.webhooks.giveUpHours} hours (last: ${error})`.slice(0, 500),
      ]);
      log.warn({ delivery: d.id, endpoint: d.endpoint_id, error }, 'webhook endpoint disabled: deliveries kept failing');
      return;
    }
    const delay = Math.min(MAX_DELAY_MS, config.webhooks.retryBaseMs * 2 ** (attempt - 1));
    await tx.query(
      `UPDATE webhook_deliveries SET attempts = $2, next_attempt_at = now() + make_interval(secs => $3), locked_until = NULL WHERE id = $1`,
      [d.id, attempt, delay / 1000],
    );
  });
}
