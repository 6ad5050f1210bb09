-- Issue 17: Idempotency-Key on POST /v1/imports. One row per (organization, key), inserted
-- BEFORE the import is created (insert-first: of two concurrent requests with one key, exactly
-- one inserts; the other finds the row and waits for, then replays, the first response).
-- `import_id` is chosen at insert time, so a request that dies half way is recognised by its
-- import; `response` is the first answer, replayed as it was for 24 hours.
CREATE TABLE idempotency_keys (
  organization_id text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  import_id text NOT NULL,
  status_code int,
  response jsonb,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (organization_id, created_at);
