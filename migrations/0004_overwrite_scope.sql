-- Overwrite's mass-delete guard compares against the records that existed in its scope before
-- it wrote anything; processing counts them in its own transaction and cleanup reads them here.
ALTER TABLE imports ADD COLUMN scope_count_before int;
