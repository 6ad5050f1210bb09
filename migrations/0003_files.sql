-- Files of async uploads and downloads (SPEC §1, §8, §9).

-- The HMAC key that signs upload and download URLs when SIGNING_KEYS is not set. It lives in
-- the database so that every API process and every restart sharing this database signs and
-- verifies with the same key (a key per process would make URLs minted by one process fail
-- on another). SIGNING_KEYS, when set, takes precedence and allows rotation.
CREATE TABLE signing_keys (
  id          text PRIMARY KEY,
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The file's header row (CSV/XLSX) or the keys of its first object (JSON/NDJSON/sync array):
-- the column order of the original-rows and errors downloads.
ALTER TABLE imports ADD COLUMN file_headers jsonb;
-- When the retention sweep deleted the import's files; set once, so the sweep never revisits it.
ALTER TABLE imports ADD COLUMN files_purged_at timestamptz;

-- The retention sweep looks for finished imports whose files have not been purged yet.
CREATE INDEX imports_retention ON imports (updated_at)
  WHERE files_purged_at IS NULL AND status IN ('completed', 'failed', 'timed_out', 'expired');
-- The expiry sweep looks for imports still waiting for their upload.
CREATE INDEX imports_awaiting_upload ON imports (upload_expires_at) WHERE status = 'requested';
