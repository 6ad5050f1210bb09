-- Organizations, API keys, imports and everything an import owns while it runs.

-- Sortable unique ids made in SQL, so set-based phases can inject ids for new records without a
-- round trip: 12 hex digits of epoch milliseconds, then 20 random hex digits (UUIDv7-like order).
CREATE FUNCTION gen_id(prefix text) RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT prefix
      || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
      || substr(md5(random()::text || clock_timestamp()::text), 1, 20)
$$;

CREATE TABLE organizations (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id               text PRIMARY KEY,
  organization_id  text NOT NULL REFERENCES organizations (id),
  key_hash         text NOT NULL UNIQUE,       -- sha256 of the whole key; the key itself is never stored
  key_prefix       text NOT NULL,              -- first characters, to tell keys apart in listings
  name             text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz
);

CREATE TABLE imports (
  id                  text PRIMARY KEY,
  organization_id     text NOT NULL REFERENCES organizations (id),
  resource            text NOT NULL,
  upload_mode         text NOT NULL CHECK (upload_mode IN ('sync', 'async')),
  action              text NOT NULL CHECK (action IN ('merge', 'overwrite', 'delete')),
  status              text NOT NULL CHECK (status IN ('requested', 'queued', 'processing', 'completed', 'failed', 'timed_out', 'expired')),
  duplicate_handling  text NOT NULL CHECK (duplicate_handling IN ('ignore_all', 'use_first')),
  reason              text,
  has_upload_file     boolean NOT NULL DEFAULT false,
  has_errors_file     boolean NOT NULL DEFAULT false,
  name                text,
  location_id         text,
  created_by          text,
  updated_by          text,
  column_mapping      jsonb,
  stats               jsonb NOT NULL,
  checksum            text,
  expected_checksum   text,
  save_upload         boolean NOT NULL DEFAULT true,
  allow_mass_delete   boolean NOT NULL DEFAULT false,
  file_key            text,                    -- storage key of the uploaded file (async)
  file_format         text,
  upload_expires_at   timestamptz,
  -- worker lifecycle: lease, fencing and retries
  attempt             int NOT NULL DEFAULT 0,  -- fencing token: every write of a run checks it
  lease_owner         text,
  lease_expires_at    timestamptz,
  failures            int NOT NULL DEFAULT 0,
  run_after           timestamptz NOT NULL DEFAULT now(),
  queued_at           timestamptz,
  processing_started_at timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX imports_by_org ON imports (organization_id, created_at DESC, id DESC);
CREATE INDEX imports_queue ON imports (queued_at, id) WHERE status = 'queued';
-- SPEC §5: one import per (organization, resource) is processing at a time; the database
-- enforces it, so two racing workers cannot both start one.
CREATE UNIQUE INDEX imports_one_processing ON imports (organization_id, resource) WHERE status = 'processing';

CREATE TABLE import_phases (
  import_id     text NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  position      int NOT NULL,
  name          text NOT NULL,
  mode          text NOT NULL CHECK (mode IN ('sync', 'async')),
  status        text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped')),
  total         int NOT NULL DEFAULT 0,
  processed     int NOT NULL DEFAULT 0,
  success       int NOT NULL DEFAULT 0,
  error         int NOT NULL DEFAULT 0,
  started_at    timestamptz,
  completed_at  timestamptz,
  PRIMARY KEY (import_id, position)
);

-- One row per removed input row: the primary key makes "accounted exactly once" a constraint.
CREATE TABLE import_errors (
  import_id  text NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  row        int NOT NULL,
  phase      text NOT NULL,
  code       text NOT NULL,
  field      text,
  message    text NOT NULL,
  data       jsonb,
  PRIMARY KEY (import_id, row)
);

-- Working rows of an import, dropped by cleanup. Every input row lands here, valid or not,
-- so overwrite can tell which records the file mentions. Staged rows are never updated: each
-- later phase writes its output to a narrow table of its own (rewriting wide rows is what
-- makes naive pipelines slow).
CREATE TABLE import_rows (
  import_id  text NOT NULL,
  row        int NOT NULL,
  raw        jsonb NOT NULL,   -- the row as uploaded, keyed by original header
  vals       jsonb,            -- coerced values keyed by field; a missing key means "not given"; NULL when invalid
  keys       jsonb NOT NULL,   -- normalised identity values ({"id":…, "<lookup key>":…}) present in the row
  ident      text,             -- what names the record: 'id:…' or '<key>:…' (first present); NULL if none
  PRIMARY KEY (import_id, row)
);

-- transforming: the record each resolved row names (matched, or a new id injected).
CREATE TABLE import_row_ids (
  import_id  text NOT NULL,
  row        int NOT NULL,
  record_id  text NOT NULL,
  is_new     boolean NOT NULL,
  PRIMARY KEY (import_id, row)
);

-- validation: references resolved to ids, by field ({"locations": ["loc_…"], "item": "itm_…"}).
CREATE TABLE import_row_refs (
  import_id  text NOT NULL,
  row        int NOT NULL,
  refs       jsonb NOT NULL,
  PRIMARY KEY (import_id, row)
);

CREATE TABLE events (
  id               text PRIMARY KEY,
  organization_id  text NOT NULL,
  import_id        text,
  resource         text NOT NULL,
  record_id        text NOT NULL,
  type             text NOT NULL CHECK (type IN ('record.created', 'record.updated', 'record.deleted')),
  before           jsonb,
  after            jsonb,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_by_import ON events (organization_id, import_id, id);
CREATE INDEX events_by_org ON events (organization_id, id);
