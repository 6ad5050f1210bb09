-- Issue 16: dry runs and per-row results.
--
-- A dry run (imports.dry_run) runs every phase but changes no record and writes no event: the
-- changes a real run would make go to forecast_events instead, the same shape as events, so
-- GET /v1/imports/{id}/changes reads one or the other with the same query (see
-- src/pipeline/dry-run.ts). They live as long as the import.
ALTER TABLE imports ADD COLUMN dry_run boolean NOT NULL DEFAULT false;

CREATE TABLE forecast_events (
  id               text PRIMARY KEY,
  organization_id  text NOT NULL,
  import_id        text NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  resource         text NOT NULL,
  record_id        text NOT NULL,
  type             text NOT NULL CHECK (type IN ('record.created', 'record.updated', 'record.deleted')),
  before           jsonb,
  after            jsonb,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forecast_events_by_import ON forecast_events (import_id, id);
-- The results file looks up each row's record among the import's would-be changes
-- (src/downloads/row-results.ts says why by record alone).
CREATE INDEX forecast_events_by_record ON forecast_events (record_id);

-- The per-row results download (results.csv / results.json), written with the other downloads.
ALTER TABLE imports ADD COLUMN has_results_file boolean NOT NULL DEFAULT false;
