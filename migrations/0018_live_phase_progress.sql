-- How far a running phase has got in work *done*, which may not be committed yet: a phase that
-- commits whole (processing on PostgreSQL) works through its rows range by range inside one
-- transaction, and reports each range here from another connection, so a client watching the
-- import sees the count move while the phase's own counters (import_phases) only change when
-- it commits. Readers show the larger of the two while the phase runs. Never written by the
-- phase's transaction (no lock between the two), and cleared when the phase (re)starts, so a
-- phase resumed after a crash counts again from what it had committed.
CREATE TABLE import_phase_live (
  import_id   text NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  position    int NOT NULL,
  processed   int NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (import_id, position)
);
