-- Issue 17: webhooks. Endpoints an organization registers, and the outbox of deliveries: one
-- row per (event, endpoint), written in the same transaction as the import's final status
-- (lifecycle/end-import.ts), sent by the workers at least once.
CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  organization_id text NOT NULL,
  url text NOT NULL,
  event_types text[] NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  secret text NOT NULL,
  disabled_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (organization_id, created_at);

CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  -- The event's id, the same in every delivery (and re-send) of it: receivers de-duplicate on it.
  event_id text NOT NULL,
  event_type text NOT NULL,
  endpoint_id text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  organization_id text NOT NULL,
  import_id text NOT NULL,
  -- The event body, fixed at the first attempt (the import as it ended).
  payload jsonb,
  -- pending (to send), delivered (a 2xx), failed (gave up after 24 hours or endpoint disabled)
  status text NOT NULL DEFAULT 'pending',
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- A worker sending it holds it until then; a worker killed mid-send leaves it to the next.
  locked_until timestamptz,
  last_status_code int,
  last_error text,
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  -- Retries go on for WEBHOOK_GIVE_UP_HOURS from here (its creation, or a re-send).
  retry_from timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
  delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt int NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  status_code int,
  error text,
  duration_ms int NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
