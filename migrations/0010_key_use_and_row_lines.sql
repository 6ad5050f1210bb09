-- Issue 13: when a key was last used (keys list), and the line a person finds a row on.

-- Written by authentication at most once a minute per key.
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;

-- `line`: the row as a person finds it in the file (header = 1): CSV the physical line the
-- record starts on, XLSX the sheet row, NDJSON the physical line; row + 1 where the file has
-- no better answer (JSON arrays, sync `data` arrays). Staged with each row; every row error
-- carries its row's line.
ALTER TABLE import_rows ADD COLUMN line int;
ALTER TABLE import_errors ADD COLUMN line int;

-- Phases write row errors from the staged rows in many statements; rather than each of them
-- naming the column, an error written without a line takes its staged row's (one lookup by
-- primary key, only for removed rows).
CREATE FUNCTION import_errors_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.line INTO NEW.line FROM import_rows r WHERE r.import_id = NEW.import_id AND r.row = NEW.row;
  NEW.line := coalesce(NEW.line, NEW.row + 1);
  RETURN NEW;
END
$$;
CREATE TRIGGER import_errors_line BEFORE INSERT ON import_errors
  FOR EACH ROW WHEN (NEW.line IS NULL) EXECUTE FUNCTION import_errors_line();
