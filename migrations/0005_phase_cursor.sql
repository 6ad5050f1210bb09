-- Phases that work through the staged rows range by range commit each range together with how
-- far they got: the pass running and the last row it handled. A run that dies resumes there.
ALTER TABLE import_phases ADD COLUMN pass int NOT NULL DEFAULT 0;
ALTER TABLE import_phases ADD COLUMN cursor int NOT NULL DEFAULT 0;
