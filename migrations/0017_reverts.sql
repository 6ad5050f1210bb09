-- Issue 16: reverting a completed import. A revert is an import of its own (same lifecycle,
-- leases, phases, stats, events) that names the import it takes back in `reverts`; the
-- original's `reverted_by` is read from here (lifecycle/import-record.ts), never stored twice.
ALTER TABLE imports ADD COLUMN reverts text;
-- `force: true` on the request: apply even over records changed since the original.
ALTER TABLE imports ADD COLUMN revert_force boolean NOT NULL DEFAULT false;

-- One revert per import: of two racing requests exactly one inserts; a revert that failed
-- (conflicts found when it ran, canceled, timed out) leaves the import revertable again.
CREATE UNIQUE INDEX imports_one_revert ON imports (reverts)
  WHERE reverts IS NOT NULL AND status IN ('requested', 'queued', 'processing', 'completed');
