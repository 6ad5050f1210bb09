-- Issue 15: review before running. An async import created with `review: true` keeps its
-- uploaded file and stays `requested` until POST /v1/imports/{id}/start moves it to `queued`.
-- "Its upload has arrived" is `file_key IS NOT NULL` while requested; the window to start it
-- is `upload_expires_at`, restarted when the file arrives (the expiry sweep ends it there).
ALTER TABLE imports ADD COLUMN review boolean NOT NULL DEFAULT false;
