-- engine: pglite
-- Duplicate removal range by range (preparsing and parsing, on PGlite only: see
-- src/pipeline/preparsing.ts) looks up, for the rows of a range, every other row of their
-- group: by identity value, by resolved record, by external_id. On PostgreSQL those phases are
-- one statement over the file and these indexes would only slow staging down.
CREATE INDEX import_rows_by_ident ON import_rows (import_id, ident);
CREATE INDEX import_rows_by_external_id ON import_rows (import_id, (vals ->> 'external_id'));
CREATE INDEX import_row_ids_by_record ON import_row_ids (import_id, record_id);
