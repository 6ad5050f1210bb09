-- Phases that work through the staged rows range by range commit each range together with how
-- far they got: the pass running, the last row it handled, and the counters it adds to the
-- import's stats when the phase completes. A run that dies resumes there.
ALTER TABLE import_phases ADD COLUMN pass int NOT NULL DEFAULT 0;
ALTER TABLE import_phases ADD COLUMN cursor int NOT NULL DEFAULT 0;
ALTER TABLE import_phases ADD COLUMN counts jsonb NOT NULL DEFAULT '{}';

