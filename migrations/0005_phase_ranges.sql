-- Phases that work through the staged rows range by range commit each range together with how
-- far they got: the pass running, the last row it handled, and the counters it adds to the
-- import's stats when the phase completes. A run that dies resumes there.
ALTER TABLE import_phases ADD COLUMN pass int NOT NULL DEFAULT 0;
ALTER TABLE import_phases ADD COLUMN cursor int NOT NULL DEFAULT 0;
ALTER TABLE import_phases ADD COLUMN counts jsonb NOT NULL DEFAULT '{}';

-- Duplicate removal range by range (preparsing, parsing) looks up, for the rows of a range,
-- every other row of their group: by identity value, by resolved record, by external_id.
CREATE INDEX import_rows_by_ident ON import_rows (import_id, ident);
CREATE INDEX import_rows_by_external_id ON import_rows (import_id, (vals ->> 'external_id'));
CREATE INDEX import_row_ids_by_record ON import_row_ids (import_id, record_id);
