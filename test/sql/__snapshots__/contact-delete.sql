-- contact delete: 18 statements

-- [1] preparsing · removeDuplicates(identity)
WITH w AS (
  -- Every row of those groups, each with its group's size and first two rows. The rows of
  -- the range are then picked by row number, not joined back: a join whose size the
  -- planner cannot know from statistics.
  SELECT r.row, r.ident AS grp, split_part(r.ident, ':', 1) AS field,
         count(*) OVER p AS n, min(r.row) OVER p AS first_row,
         nth_value(r.row, 2) OVER (p ORDER BY r.row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_row
  FROM import_rows r WHERE r.import_id = $1 AND r.ident IS NOT NULL AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND NOT coalesce(e.phase = 'preparsing', false))
  WINDOW p AS (PARTITION BY r.ident)
), d AS (
  SELECT w.*, CASE WHEN w.row = w.first_row THEN w.second_row ELSE w.first_row END AS other_row
  FROM w
  WHERE w.row BETWEEN $2 AND $3 AND w.n > 1 AND ($4 = 'ignore_all' OR w.row <> w.first_row)
)
INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
SELECT $1, d.row, $5, 'duplicate', d.field,
       'Row ' || d.row || ' ' || 'names the same ' || $6 || ' by ' || d.field || ' "' || substr(d.grp, length(d.field) + 2) || '"' || ' as row ' || d.other_row
         || CASE WHEN $4 = 'ignore_all'
              THEN '; duplicate_handling is ignore_all, so every row of the group is ignored.'
              ELSE '; duplicate_handling is use_first, so only row ' || d.first_row || ' is kept.' END,
       -- The raw row only for the rows removed: carried through the window, it was sorted
       -- with every row of the file (issue 19 measured 2.4-3.4 s of it at 1M rows on PostgreSQL).
       (SELECT x.raw FROM import_rows x WHERE x.import_id = $1 AND x.row = d.row)
FROM d;
--   $1 = import id: "imp_0000000000sample"
--   $2 = first row of the range: 1
--   $3 = last row of the range: 2000
--   $4 = duplicate_handling: "use_first"
--   $5 = "preparsing"
--   $6 = "contact"

-- [2] transforming · analyzeWorkingRows (only when the import is sync (prepare))
ANALYZE import_rows;

-- [3] transforming · collectWantedKeys
CREATE TEMPORARY TABLE wanted_keys (key text, v text) ON COMMIT DROP;

-- [4] transforming · collectWantedKeys
INSERT INTO wanted_keys
SELECT k.key, k.v FROM import_rows r CROSS JOIN LATERAL (VALUES ($1, r.keys ->> $1), ($2, r.keys ->> $2)) k(key, v)
WHERE r.import_id = $3 AND r.row BETWEEN $4 AND $5
AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $4 AND $5) AND k.v IS NOT NULL GROUP BY k.key, k.v;
--   $1 = "id"
--   $2 = "email"
--   $3 = import id: "imp_0000000000sample"
--   $4 = first row of the range: 1
--   $5 = last row of the range: 2000

-- [5] transforming · collectWantedKeys
ANALYZE wanted_keys;

-- [6] transforming · resolveIdentities
WITH live AS (
  SELECT r.row, r.keys FROM import_rows r WHERE r.import_id = $1 AND r.row BETWEEN $2 AND $3
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $2 AND $3)
), decided AS (
  SELECT live.row,
    CASE
      WHEN NOT ((live.keys ? $4) OR (live.keys ? $5) OR (live.keys ? $6)) THEN $7
      WHEN (live.keys ? $4) AND s0.c IS NULL THEN $8
      WHEN (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c END) > 1 THEN $9
      WHEN (coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s1.c = 1 THEN s1.id END, false) OR coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s2.c = 1 THEN s2.id END, false) OR coalesce(CASE WHEN s1.c = 1 THEN s1.id END <> CASE WHEN s2.c = 1 THEN s2.id END, false)) THEN $9
      WHEN (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c END) IS NULL AND $10 = 'delete' THEN $8
    END AS code,
    CASE WHEN (live.keys ? $4) OR (live.keys ? $5) OR (live.keys ? $6) THEN (CASE WHEN (live.keys ? $4) THEN $4 WHEN (live.keys ? $5) THEN $5 WHEN (live.keys ? $6) THEN $6 END) END AS field,
    CASE
      WHEN NOT ((live.keys ? $4) OR (live.keys ? $5) OR (live.keys ? $6)) THEN
        'The row has no id and no value for any lookup key (' || $11 || '), so it cannot name a ' || $12 || '.'
   || coalesce(' Columns of the file that map to no field: ' || (SELECT string_agg('"' || un.name || '"', ', ' ORDER BY un.k) FILTER (WHERE un.k <= 10)
  || CASE WHEN count(*) > 10 THEN ' and ' || (count(*) - 10) || ' more' ELSE '' END
FROM (
  SELECT h.name, row_number() OVER (ORDER BY h.n) AS k
  FROM imports x
  CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(x.file_headers, '[]'::jsonb)) WITH ORDINALITY AS h(name, n)
  WHERE x.id = $1
    AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(coalesce(x.column_mapping, '{}'::jsonb)) c WHERE c.value = h.name)
) un) || '; if one of them holds a lookup key, name it in column_mapping.', '')
      WHEN (live.keys ? $4) AND s0.c IS NULL THEN
        'No ' || $12 || ' with id "' || (live.keys ->> 'id') || '" exists in this organization.'
      WHEN (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c END) > 1 THEN
        (CASE WHEN (live.keys ? $4) THEN $4 WHEN (live.keys ? $5) THEN $5 WHEN (live.keys ? $6) THEN $6 END) || ' "' || (CASE WHEN (live.keys ? $4) THEN (live.keys ->> $4) WHEN (live.keys ? $5) THEN (live.keys ->> $5) WHEN (live.keys ? $6) THEN (live.keys ->> $6) END) || '" matches ' || (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c END)
          || ' records; give the id or a key that matches exactly one ' || $12 || '.'
      WHEN (coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s1.c = 1 THEN s1.id END, false) OR coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s2.c = 1 THEN s2.id END, false) OR coalesce(CASE WHEN s1.c = 1 THEN s1.id END <> CASE WHEN s2.c = 1 THEN s2.id END, false)) THEN
        'The row''s keys name different records: ' || concat_ws(', ', CASE WHEN s0.c = 1 THEN $4 || ' "' || (live.keys ->> $4) || '" names ' || s0.id END, CASE WHEN s1.c = 1 THEN $5 || ' "' || (live.keys ->> $5) || '" names ' || s1.id END, CASE WHEN s2.c = 1 THEN $6 || ' "' || (live.keys ->> $6) || '" names ' || s2.id END) || '.'
      ELSE
        'No ' || $12 || ' matches ' || (CASE WHEN (live.keys ? $4) THEN $4 WHEN (live.keys ? $5) THEN $5 WHEN (live.keys ? $6) THEN $6 END) || ' "' || (CASE WHEN (live.keys ? $4) THEN (live.keys ->> $4) WHEN (live.keys ? $5) THEN (live.keys ->> $5) WHEN (live.keys ? $6) THEN (live.keys ->> $6) END) || '".'
    END AS message,
    CASE WHEN (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c END) = 1 THEN (CASE WHEN (live.keys ? $4) THEN s0.id WHEN (live.keys ? $5) THEN s1.id WHEN (live.keys ? $6) THEN s2.id END) END AS record_id
  FROM live
  LEFT JOIN (SELECT id AS v, 1 AS c, id FROM contacts WHERE organization_id = $13 AND id IN (SELECT w.v FROM wanted_keys w WHERE w.key = $4)) s0 ON s0.v = live.keys ->> $4
  LEFT JOIN (SELECT external_id AS v, 1 AS c, id FROM contacts WHERE organization_id = $13) s1 ON s1.v = live.keys ->> $5
  LEFT JOIN (SELECT email AS v, count(*)::int AS c, min(id) AS id FROM contacts
                 WHERE organization_id = $13 AND email IN (SELECT w.v FROM wanted_keys w WHERE w.key = $6) GROUP BY email) s2 ON s2.v = live.keys ->> $6
), errors AS (
  INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
  -- The raw row only for the rows removed: carried through the joins, it would be hashed
  -- with every row of the file.
  SELECT $1, d.row, 'transforming', d.code, d.field, d.message, (SELECT x.raw FROM import_rows x WHERE x.import_id = $1 AND x.row = d.row)
  FROM decided d WHERE d.code IS NOT NULL
  RETURNING 1
), resolved AS (
  INSERT INTO import_row_ids (import_id, row, record_id, is_new)
  SELECT $1, d.row, coalesce(d.record_id, gen_id($14)), d.record_id IS NULL
  FROM decided d WHERE d.code IS NULL
  RETURNING 1
)
SELECT (SELECT count(*) FROM errors)::int AS errors, (SELECT count(*) FROM resolved)::int AS resolved;
--   $1 = import id: "imp_0000000000sample"
--   $2 = first row of the range: 1
--   $3 = last row of the range: 2000
--   $4 = "id"
--   $5 = "external_id"
--   $6 = "email"
--   $7 = "missing_identity"
--   $8 = "not_found"
--   $9 = "ambiguous_identity"
--   $10 = action: "delete"
--   $11 = "id, external_id, email"
--   $12 = "contact"
--   $13 = organization id: "org_0000000000sample"
--   $14 = "con_"

-- [7] parsing · analyzeWorkingRows
ANALYZE import_row_ids;

-- [8] parsing · removeDuplicates(record)
WITH w AS (
  -- Every row of those groups, each with its group's size and first two rows. The rows of
  -- the range are then picked by row number, not joined back: a join whose size the
  -- planner cannot know from statistics.
  SELECT r.row, i.record_id AS grp, NULL::text AS field,
         count(*) OVER p AS n, min(r.row) OVER p AS first_row,
         nth_value(r.row, 2) OVER (p ORDER BY r.row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_row
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row WHERE r.import_id = $1 AND i.record_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND NOT coalesce(e.phase = 'parsing', false))
  WINDOW p AS (PARTITION BY i.record_id)
), d AS (
  SELECT w.*, CASE WHEN w.row = w.first_row THEN w.second_row ELSE w.first_row END AS other_row
  FROM w
  WHERE w.row BETWEEN $2 AND $3 AND w.n > 1 AND ($4 = 'ignore_all' OR w.row <> w.first_row)
)
INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
SELECT $1, d.row, $5, 'duplicate', d.field,
       'Row ' || d.row || ' ' || 'resolves to the same ' || $6 || ' (' || d.grp || ')' || ' as row ' || d.other_row
         || CASE WHEN $4 = 'ignore_all'
              THEN '; duplicate_handling is ignore_all, so every row of the group is ignored.'
              ELSE '; duplicate_handling is use_first, so only row ' || d.first_row || ' is kept.' END,
       -- The raw row only for the rows removed: carried through the window, it was sorted
       -- with every row of the file (issue 19 measured 2.4-3.4 s of it at 1M rows on PostgreSQL).
       (SELECT x.raw FROM import_rows x WHERE x.import_id = $1 AND x.row = d.row)
FROM d;
--   $1 = import id: "imp_0000000000sample"
--   $2 = first row of the range: 1
--   $3 = last row of the range: 2000
--   $4 = duplicate_handling: "use_first"
--   $5 = "parsing"
--   $6 = "contact"

-- [9] processing · countLiveRows (only when first range)
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [10] processing · removeRecords.doomed
CREATE TEMPORARY TABLE doomed (id text PRIMARY KEY) ON COMMIT DROP;

-- [11] processing · removeRecords.doomed
INSERT INTO doomed (id) SELECT DISTINCT ids.id FROM (SELECT i.record_id FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)) AS ids(id) WHERE ids.id IS NOT NULL;
--   $1 = import id: "imp_0000000000sample"

-- [12] processing · removeRecords.lockDoomed
SELECT t.id FROM contacts t JOIN doomed d ON d.id = t.id ORDER BY t.id FOR UPDATE OF t;

-- [13] processing · removeRecords.clearReferences(group.children)
WITH old AS (
  SELECT t.* FROM groups t WHERE t.organization_id = $1 AND t.children && ARRAY(SELECT id FROM doomed) FOR UPDATE
), changed AS (
  UPDATE groups t SET children = coalesce(ARRAY(SELECT x FROM unnest(t.children) AS x WHERE x NOT IN (SELECT id FROM doomed) ORDER BY x), '{}'), updated_at = now() FROM old WHERE t.id = old.id RETURNING t.*
), ev AS (
  INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, c.id, 'record.updated', (to_jsonb(o) - 'organization_id' - 'id' - 'created_at' - 'updated_at'), (to_jsonb(c) - 'organization_id' - 'id' - 'created_at' - 'updated_at')
  FROM changed c JOIN old o ON o.id = c.id
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "group"

-- [14] processing · removeRecords.deleteDoomed
WITH gone AS (
  DELETE FROM contacts t USING doomed d WHERE t.id = d.id AND t.organization_id = $1 RETURNING t.*
), ev AS (
  INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, g.id, 'record.deleted', (to_jsonb(g) - 'organization_id' - 'id' - 'created_at' - 'updated_at'), NULL FROM gone g
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "contact"

-- [15] processing · reportKept (only when a record came to be required meanwhile)
INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
SELECT $1, r.row, 'processing', 'still_referenced', NULL,
       $2 || ' ' || i.record_id || ' came to be required by another record while this import ran, so it was not deleted.', r.raw
FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row) AND i.record_id = ANY($3::text[]);
--   $1 = import id: "imp_0000000000sample"
--   $2 = "contact"
--   $3 = ids spared: ["sample_kept_id"]

-- [16] cleanup · countLiveRows
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [17] processing · removeRecords.clearReferences(group.children)(dry run) (only when the import is a dry run)
WITH ev AS (
  INSERT INTO forecast_events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, b.id, 'record.updated', b.before, b.before || jsonb_build_object($4::text, b.cleared)
  FROM (SELECT t.id, (to_jsonb(t) - 'organization_id' - 'id' - 'created_at' - 'updated_at') AS before, coalesce(ARRAY(SELECT x FROM unnest(t.children) AS x WHERE x NOT IN (SELECT id FROM doomed) ORDER BY x), '{}') AS cleared
        FROM groups t WHERE t.organization_id = $1 AND t.children && ARRAY(SELECT id FROM doomed)) b
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "group"
--   $4 = "children"

-- [18] processing · removeRecords.deleteDoomed(dry run) (only when the import is a dry run)
WITH gone AS (
  SELECT t.* FROM contacts t JOIN doomed d ON d.id = t.id WHERE t.organization_id = $1
), ev AS (
  INSERT INTO forecast_events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, g.id, 'record.deleted', (to_jsonb(g) - 'organization_id' - 'id' - 'created_at' - 'updated_at'), NULL FROM gone g
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "contact"

