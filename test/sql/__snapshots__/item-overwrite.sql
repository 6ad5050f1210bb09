-- item overwrite: 25 statements

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
--   $6 = "item"

-- [2] transforming · analyzeWorkingRows (only when the import is sync (prepare))
ANALYZE import_rows;

-- [3] transforming · collectWantedKeys
CREATE TEMPORARY TABLE wanted_keys (key text, v text) ON COMMIT DROP;

-- [4] transforming · collectWantedKeys
INSERT INTO wanted_keys
SELECT k.key, k.v FROM import_rows r CROSS JOIN LATERAL (VALUES ($1, r.keys ->> $1), ($2, r.keys ->> $2), ($3, r.keys ->> $3)) k(key, v)
WHERE r.import_id = $4 AND r.row BETWEEN $5 AND $6
AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $5 AND $6) AND k.v IS NOT NULL GROUP BY k.key, k.v;
--   $1 = "id"
--   $2 = "sku"
--   $3 = "gtin"
--   $4 = import id: "imp_0000000000sample"
--   $5 = first row of the range: 1
--   $6 = last row of the range: 2000

-- [5] transforming · collectWantedKeys
ANALYZE wanted_keys;

-- [6] transforming · resolveIdentities
WITH live AS (
  SELECT r.row, r.keys FROM import_rows r WHERE r.import_id = $1 AND r.row BETWEEN $2 AND $3
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $2 AND $3)
), decided AS (
  SELECT live.row,
    CASE
      WHEN NOT ((live.keys ? $4) OR (live.keys ? $5) OR (live.keys ? $6) OR (live.keys ? $7)) THEN $8
      WHEN (live.keys ? $4) AND s0.c IS NULL THEN $9
      WHEN (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c WHEN (live.keys ? $7) THEN s3.c END) > 1 THEN $10
      WHEN (coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s1.c = 1 THEN s1.id END, false) OR coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s2.c = 1 THEN s2.id END, false) OR coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s3.c = 1 THEN s3.id END, false) OR coalesce(CASE WHEN s1.c = 1 THEN s1.id END <> CASE WHEN s2.c = 1 THEN s2.id END, false) OR coalesce(CASE WHEN s1.c = 1 THEN s1.id END <> CASE WHEN s3.c = 1 THEN s3.id END, false) OR coalesce(CASE WHEN s2.c = 1 THEN s2.id END <> CASE WHEN s3.c = 1 THEN s3.id END, false)) THEN $10
      WHEN (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c WHEN (live.keys ? $7) THEN s3.c END) IS NULL AND $11 = 'delete' THEN $9
    END AS code,
    CASE WHEN (live.keys ? $4) OR (live.keys ? $5) OR (live.keys ? $6) OR (live.keys ? $7) THEN (CASE WHEN (live.keys ? $4) THEN $4 WHEN (live.keys ? $5) THEN $5 WHEN (live.keys ? $6) THEN $6 WHEN (live.keys ? $7) THEN $7 END) END AS field,
    CASE
      WHEN NOT ((live.keys ? $4) OR (live.keys ? $5) OR (live.keys ? $6) OR (live.keys ? $7)) THEN
        'The row has no id and no value for any lookup key (' || $12 || '), so it cannot name a ' || $13 || '.'
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
        'No ' || $13 || ' with id "' || (live.keys ->> 'id') || '" exists in this organization.'
      WHEN (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c WHEN (live.keys ? $7) THEN s3.c END) > 1 THEN
        (CASE WHEN (live.keys ? $4) THEN $4 WHEN (live.keys ? $5) THEN $5 WHEN (live.keys ? $6) THEN $6 WHEN (live.keys ? $7) THEN $7 END) || ' "' || (CASE WHEN (live.keys ? $4) THEN (live.keys ->> $4) WHEN (live.keys ? $5) THEN (live.keys ->> $5) WHEN (live.keys ? $6) THEN (live.keys ->> $6) WHEN (live.keys ? $7) THEN (live.keys ->> $7) END) || '" matches ' || (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c WHEN (live.keys ? $7) THEN s3.c END)
          || ' records; give the id or a key that matches exactly one ' || $13 || '.'
      WHEN (coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s1.c = 1 THEN s1.id END, false) OR coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s2.c = 1 THEN s2.id END, false) OR coalesce(CASE WHEN s0.c = 1 THEN s0.id END <> CASE WHEN s3.c = 1 THEN s3.id END, false) OR coalesce(CASE WHEN s1.c = 1 THEN s1.id END <> CASE WHEN s2.c = 1 THEN s2.id END, false) OR coalesce(CASE WHEN s1.c = 1 THEN s1.id END <> CASE WHEN s3.c = 1 THEN s3.id END, false) OR coalesce(CASE WHEN s2.c = 1 THEN s2.id END <> CASE WHEN s3.c = 1 THEN s3.id END, false)) THEN
        'The row''s keys name different records: ' || concat_ws(', ', CASE WHEN s0.c = 1 THEN $4 || ' "' || (live.keys ->> $4) || '" names ' || s0.id END, CASE WHEN s1.c = 1 THEN $5 || ' "' || (live.keys ->> $5) || '" names ' || s1.id END, CASE WHEN s2.c = 1 THEN $6 || ' "' || (live.keys ->> $6) || '" names ' || s2.id END, CASE WHEN s3.c = 1 THEN $7 || ' "' || (live.keys ->> $7) || '" names ' || s3.id END) || '.'
      ELSE
        'No ' || $13 || ' matches ' || (CASE WHEN (live.keys ? $4) THEN $4 WHEN (live.keys ? $5) THEN $5 WHEN (live.keys ? $6) THEN $6 WHEN (live.keys ? $7) THEN $7 END) || ' "' || (CASE WHEN (live.keys ? $4) THEN (live.keys ->> $4) WHEN (live.keys ? $5) THEN (live.keys ->> $5) WHEN (live.keys ? $6) THEN (live.keys ->> $6) WHEN (live.keys ? $7) THEN (live.keys ->> $7) END) || '".'
    END AS message,
    CASE WHEN (CASE WHEN (live.keys ? $4) THEN s0.c WHEN (live.keys ? $5) THEN s1.c WHEN (live.keys ? $6) THEN s2.c WHEN (live.keys ? $7) THEN s3.c END) = 1 THEN (CASE WHEN (live.keys ? $4) THEN s0.id WHEN (live.keys ? $5) THEN s1.id WHEN (live.keys ? $6) THEN s2.id WHEN (live.keys ? $7) THEN s3.id END) END AS record_id
  FROM live
  LEFT JOIN (SELECT id AS v, 1 AS c, id FROM items WHERE organization_id = $14 AND id IN (SELECT w.v FROM wanted_keys w WHERE w.key = $4)) s0 ON s0.v = live.keys ->> $4
  LEFT JOIN (SELECT external_id AS v, 1 AS c, id FROM items WHERE organization_id = $14) s1 ON s1.v = live.keys ->> $5
  LEFT JOIN (SELECT sku AS v, count(*)::int AS c, min(id) AS id FROM items
                 WHERE organization_id = $14 AND sku IN (SELECT w.v FROM wanted_keys w WHERE w.key = $6) GROUP BY sku) s2 ON s2.v = live.keys ->> $6
  LEFT JOIN (SELECT gtin AS v, count(*)::int AS c, min(id) AS id FROM items
                 WHERE organization_id = $14 AND gtin IN (SELECT w.v FROM wanted_keys w WHERE w.key = $7) GROUP BY gtin) s3 ON s3.v = live.keys ->> $7
), errors AS (
  INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
  -- The raw row only for the rows removed: carried through the joins, it would be hashed
  -- with every row of the file.
  SELECT $1, d.row, 'transforming', d.code, d.field, d.message, (SELECT x.raw FROM import_rows x WHERE x.import_id = $1 AND x.row = d.row)
  FROM decided d WHERE d.code IS NOT NULL
  RETURNING 1
), resolved AS (
  INSERT INTO import_row_ids (import_id, row, record_id, is_new)
  SELECT $1, d.row, coalesce(d.record_id, gen_id($15)), d.record_id IS NULL
  FROM decided d WHERE d.code IS NULL
  RETURNING 1
)
SELECT (SELECT count(*) FROM errors)::int AS errors, (SELECT count(*) FROM resolved)::int AS resolved;
--   $1 = import id: "imp_0000000000sample"
--   $2 = first row of the range: 1
--   $3 = last row of the range: 2000
--   $4 = "id"
--   $5 = "external_id"
--   $6 = "sku"
--   $7 = "gtin"
--   $8 = "missing_identity"
--   $9 = "not_found"
--   $10 = "ambiguous_identity"
--   $11 = action: "overwrite"
--   $12 = "id, external_id, sku, gtin"
--   $13 = "item"
--   $14 = organization id: "org_0000000000sample"
--   $15 = "itm_"

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
--   $6 = "item"

-- [9] parsing · removeDuplicates(external_id)
WITH w AS (
  -- Every row of those groups, each with its group's size and first two rows. The rows of
  -- the range are then picked by row number, not joined back: a join whose size the
  -- planner cannot know from statistics.
  SELECT r.row, (r.vals ->> 'external_id') AS grp, 'external_id' AS field,
         count(*) OVER p AS n, min(r.row) OVER p AS first_row,
         nth_value(r.row, 2) OVER (p ORDER BY r.row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_row
  FROM import_rows r WHERE r.import_id = $1 AND (r.vals ->> 'external_id') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND NOT coalesce(e.phase = 'parsing' AND e.field = 'external_id', false))
  WINDOW p AS (PARTITION BY (r.vals ->> 'external_id'))
), d AS (
  SELECT w.*, CASE WHEN w.row = w.first_row THEN w.second_row ELSE w.first_row END AS other_row
  FROM w
  WHERE w.row BETWEEN $2 AND $3 AND w.n > 1 AND ($4 = 'ignore_all' OR w.row <> w.first_row)
)
INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
SELECT $1, d.row, $5, 'duplicate', d.field,
       'Row ' || d.row || ' ' || 'sets external_id "' || d.grp || '", the same' || ' as row ' || d.other_row
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

-- [10] validation · removeMissingRequired
INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
SELECT $1, m.row, 'validation', 'missing_required_field', m.field,
  CASE WHEN m.is_new THEN 'Creating ' || $2 || ' needs ' || m.field || ', and the row has no value for it.'
       WHEN $3 = 'overwrite' AND NOT (m.vals ? m.field) THEN 'Overwrite replaces every field, and ' || m.field || ' is required: the row must give it.'
       ELSE m.field || ' is required and cannot be cleared.' END
    || ' Required to create: ' || $4 || '.'
    || coalesce(' Columns of the file that map to no field: ' || (SELECT string_agg('"' || un.name || '"', ', ' ORDER BY un.k) FILTER (WHERE un.k <= 10)
  || CASE WHEN count(*) > 10 THEN ' and ' || (count(*) - 10) || ' more' ELSE '' END
FROM (
  SELECT h.name, row_number() OVER (ORDER BY h.n) AS k
  FROM imports x
  CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(x.file_headers, '[]'::jsonb)) WITH ORDINALITY AS h(name, n)
  WHERE x.id = $1
    AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(coalesce(x.column_mapping, '{}'::jsonb)) c WHERE c.value = h.name)
) un) || '; if one of them holds ' || m.field
         || ', name it in column_mapping.', ''),
  (SELECT x.raw FROM import_rows x WHERE x.import_id = $1 AND x.row = m.row)
FROM (
  SELECT r.row, r.vals, i.is_new, coalesce(CASE WHEN (i.is_new OR $3 = 'overwrite') AND NOT (r.vals ? $4) THEN $4::text
     WHEN jsonb_typeof(r.vals -> $4) = 'null' THEN $4::text END) AS field
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $5 AND $6 WHERE r.import_id = $1 AND r.row BETWEEN $5 AND $6
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $5 AND $6)
) m
WHERE m.field IS NOT NULL;
--   $1 = import id: "imp_0000000000sample"
--   $2 = "an item"
--   $3 = action: "overwrite"
--   $4 = "name"
--   $5 = first row of the range: 1
--   $6 = last row of the range: 2000

-- [11] processing · countLiveRows (only when first range)
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [12] processing · countScope (only when first range)
SELECT count(*)::int AS n FROM items t WHERE t.organization_id = $1;
--   $1 = organization id: "org_0000000000sample"

-- [13] processing · countLiveRows
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [14] processing · upsertRecords
WITH src AS (
  SELECT r.row, i.record_id AS id, i.is_new, r.vals, p, t AS old
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $1 AND $2
  LEFT JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN $1 AND $2
  LEFT JOIN items t ON t.id = i.record_id AND t.organization_id = $3
  -- In FROM, the record is built once per row; as an expression of the inlined CTE,
  -- every (s.p).field below would call jsonb_populate_record again.
  CROSS JOIN LATERAL jsonb_populate_record(NULL::items, r.vals || coalesce(f.refs, '{}'::jsonb)) p
  WHERE r.import_id = $4 AND r.row BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $1 AND $2)
), next AS (
  SELECT s.id, s.is_new, s.old, (s.p).external_id AS external_id, (s.p).name AS name, (s.p).sku AS sku, (s.p).gtin AS gtin, (s.p).upc AS upc, (s.p).vendor AS vendor, (s.p).description AS description, (s.p).value AS value, (s.p).currency AS currency, (s.p).weight AS weight, (s.p).length AS length, (s.p).width AS width, (s.p).height AS height
  FROM src s
), changes AS (
  -- Only the records that change: the rows of the file that change nothing (all of them,
  -- when a file is imported twice) never reach the two writes below, nor the tuplestore
  -- this CTE is kept in. Compared column by column; the record before is kept as JSON,
  -- for the event, and only for updates.
  SELECT n.id, n.is_new, n.external_id, n.name, n.sku, n.gtin, n.upc, n.vendor, n.description, n.value, n.currency, n.weight, n.length, n.width, n.height, CASE WHEN NOT n.is_new THEN jsonb_build_object($5::text, (n.old).external_id, $6::text, (n.old).name, $7::text, (n.old).sku, $8::text, (n.old).gtin, $9::text, (n.old).upc, $10::text, (n.old).vendor, $11::text, (n.old).description, $12::text, (n.old).value, $13::text, (n.old).currency, $14::text, (n.old).weight, $15::text, (n.old).length, $16::text, (n.old).width, $17::text, (n.old).height) END AS before
  FROM next n
  WHERE n.is_new OR ROW(n.external_id, n.name, n.sku, n.gtin, n.upc, n.vendor, n.description, n.value, n.currency, n.weight, n.length, n.width, n.height) IS DISTINCT FROM ROW((n.old).external_id, (n.old).name, (n.old).sku, (n.old).gtin, (n.old).upc, (n.old).vendor, (n.old).description, (n.old).value, (n.old).currency, (n.old).weight, (n.old).length, (n.old).width, (n.old).height)
), written AS (
  INSERT INTO items AS t (organization_id, id, external_id, name, sku, gtin, upc, vendor, description, value, currency, weight, length, width, height, created_at, updated_at)
  SELECT $3, c.id, c.external_id, c.name, c.sku, c.gtin, c.upc, c.vendor, c.description, c.value, c.currency, c.weight, c.length, c.width, c.height, now(), now() FROM changes c
  ON CONFLICT (id) DO UPDATE SET external_id = EXCLUDED.external_id, name = EXCLUDED.name, sku = EXCLUDED.sku, gtin = EXCLUDED.gtin, upc = EXCLUDED.upc, vendor = EXCLUDED.vendor, description = EXCLUDED.description, value = EXCLUDED.value, currency = EXCLUDED.currency, weight = EXCLUDED.weight, length = EXCLUDED.length, width = EXCLUDED.width, height = EXCLUDED.height, updated_at = now()
  RETURNING 1
), events AS (  -- data-modifying CTEs run to completion whether read or not
  INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $3, $4, $18, c.id,
         CASE WHEN c.is_new THEN 'record.created' ELSE 'record.updated' END, c.before, jsonb_build_object($5::text, c.external_id, $6::text, c.name, $7::text, c.sku, $8::text, c.gtin, $9::text, c.upc, $10::text, c.vendor, $11::text, c.description, $12::text, c.value, $13::text, c.currency, $14::text, c.weight, $15::text, c.length, $16::text, c.width, $17::text, c.height)
  FROM changes c
  RETURNING 1
)
SELECT count(*) FILTER (WHERE is_new)::int AS created,
       count(*) FILTER (WHERE NOT is_new)::int AS updated,
       (SELECT count(*) FROM events)::int AS events
FROM changes;
--   $1 = first row of the range: 1
--   $2 = last row of the range: 2000
--   $3 = organization id: "org_0000000000sample"
--   $4 = import id: "imp_0000000000sample"
--   $5 = "external_id"
--   $6 = "name"
--   $7 = "sku"
--   $8 = "gtin"
--   $9 = "upc"
--   $10 = "vendor"
--   $11 = "description"
--   $12 = "value"
--   $13 = "currency"
--   $14 = "weight"
--   $15 = "length"
--   $16 = "width"
--   $17 = "height"
--   $18 = "item"

-- [15] processing · undoUpserts (only when an import ends while ranged processing is unfinished)
WITH ev AS (
  DELETE FROM events e WHERE e.organization_id = $1 AND e.import_id = $2 RETURNING e.record_id, e.type, e.before
), created AS (
  DELETE FROM items t USING ev WHERE ev.type = 'record.created' AND t.organization_id = $1 AND t.id = ev.record_id
), updated AS (
  UPDATE items t SET external_id = (b.p).external_id, name = (b.p).name, sku = (b.p).sku, gtin = (b.p).gtin, upc = (b.p).upc, vendor = (b.p).vendor, description = (b.p).description, value = (b.p).value, currency = (b.p).currency, weight = (b.p).weight, length = (b.p).length, width = (b.p).width, height = (b.p).height, updated_at = now()
  FROM (SELECT ev.record_id, jsonb_populate_record(NULL::items, ev.before) AS p FROM ev WHERE ev.type = 'record.updated') b
  WHERE t.organization_id = $1 AND t.id = b.record_id
)
SELECT 1;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"

-- [16] cleanup · countLiveRows
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [17] cleanup · countUnmentioned
SELECT (SELECT count(*) FROM (SELECT t.id FROM items t
WHERE t.organization_id = $1 AND t.id NOT IN (SELECT i.record_id FROM import_row_ids i WHERE i.import_id = $2 UNION SELECT m.id FROM import_rows r JOIN items m ON m.organization_id = $1 AND m.id = r.keys ->> $3
       WHERE r.import_id = $2 AND split_part(r.ident, ':', 1) = $3
         AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $2 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN items m ON m.organization_id = $1 AND m.external_id = r.keys ->> $4
       WHERE r.import_id = $2 AND split_part(r.ident, ':', 1) = $4
         AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $2 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN items m ON m.organization_id = $1 AND m.sku = r.keys ->> $5
       WHERE r.import_id = $2 AND split_part(r.ident, ':', 1) = $5
         AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $2 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN items m ON m.organization_id = $1 AND m.gtin = r.keys ->> $6
       WHERE r.import_id = $2 AND split_part(r.ident, ':', 1) = $6
         AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $2 AND i.row = r.row)) AND NOT (EXISTS (SELECT 1 FROM assets x WHERE x.organization_id = $1 AND x.item = t.id))) c)::int AS doomed, i.scope_count_before AS existing_before, i.stats
FROM imports i WHERE i.id = $2;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "id"
--   $4 = "external_id"
--   $5 = "sku"
--   $6 = "gtin"

-- [18] cleanup · removeRecords.doomed
CREATE TEMPORARY TABLE doomed (id text PRIMARY KEY) ON COMMIT DROP;

-- [19] cleanup · removeRecords.doomed
INSERT INTO doomed (id) SELECT DISTINCT ids.id FROM (SELECT t.id FROM items t
WHERE t.organization_id = $1 AND t.id NOT IN (SELECT i.record_id FROM import_row_ids i WHERE i.import_id = $2 UNION SELECT m.id FROM import_rows r JOIN items m ON m.organization_id = $1 AND m.id = r.keys ->> $3
WHERE r.import_id = $2 AND split_part(r.ident, ':', 1) = $3
AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $2 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN items m ON m.organization_id = $1 AND m.external_id = r.keys ->> $4
WHERE r.import_id = $2 AND split_part(r.ident, ':', 1) = $4
AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $2 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN items m ON m.organization_id = $1 AND m.sku = r.keys ->> $5
WHERE r.import_id = $2 AND split_part(r.ident, ':', 1) = $5
AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $2 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN items m ON m.organization_id = $1 AND m.gtin = r.keys ->> $6
WHERE r.import_id = $2 AND split_part(r.ident, ':', 1) = $6
AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $2 AND i.row = r.row)) AND NOT (EXISTS (SELECT 1 FROM assets x WHERE x.organization_id = $1 AND x.item = t.id))) AS ids(id) WHERE ids.id IS NOT NULL;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "id"
--   $4 = "external_id"
--   $5 = "sku"
--   $6 = "gtin"

-- [20] cleanup · removeRecords.lockDoomed
SELECT t.id FROM items t JOIN doomed d ON d.id = t.id ORDER BY t.id FOR UPDATE OF t;

-- [21] cleanup · removeRecords.spareRequired
DELETE FROM doomed d WHERE EXISTS (SELECT 1 FROM assets x WHERE x.organization_id = $1 AND x.item = d.id) RETURNING d.id;
--   $1 = organization id: "org_0000000000sample"

-- [22] cleanup · removeRecords.deleteDoomed
WITH gone AS (
  DELETE FROM items t USING doomed d WHERE t.id = d.id AND t.organization_id = $1 RETURNING t.*
), ev AS (
  INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, g.id, 'record.deleted', (to_jsonb(g) - 'organization_id' - 'id' - 'created_at' - 'updated_at'), NULL FROM gone g
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "item"

-- [23] processing · upsertRecords(dry run) (only when the import is a dry run)
WITH src AS (
  SELECT r.row, i.record_id AS id, i.is_new, r.vals, p, t AS old
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $1 AND $2
  LEFT JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN $1 AND $2
  LEFT JOIN items t ON t.id = i.record_id AND t.organization_id = $3
  -- In FROM, the record is built once per row; as an expression of the inlined CTE,
  -- every (s.p).field below would call jsonb_populate_record again.
  CROSS JOIN LATERAL jsonb_populate_record(NULL::items, r.vals || coalesce(f.refs, '{}'::jsonb)) p
  WHERE r.import_id = $4 AND r.row BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $1 AND $2)
), next AS (
  SELECT s.id, s.is_new, s.old, (s.p).external_id AS external_id, (s.p).name AS name, (s.p).sku AS sku, (s.p).gtin AS gtin, (s.p).upc AS upc, (s.p).vendor AS vendor, (s.p).description AS description, (s.p).value AS value, (s.p).currency AS currency, (s.p).weight AS weight, (s.p).length AS length, (s.p).width AS width, (s.p).height AS height
  FROM src s
), changes AS (
  -- Only the records that change: the rows of the file that change nothing (all of them,
  -- when a file is imported twice) never reach the two writes below, nor the tuplestore
  -- this CTE is kept in. Compared column by column; the record before is kept as JSON,
  -- for the event, and only for updates.
  SELECT n.id, n.is_new, n.external_id, n.name, n.sku, n.gtin, n.upc, n.vendor, n.description, n.value, n.currency, n.weight, n.length, n.width, n.height, CASE WHEN NOT n.is_new THEN jsonb_build_object($5::text, (n.old).external_id, $6::text, (n.old).name, $7::text, (n.old).sku, $8::text, (n.old).gtin, $9::text, (n.old).upc, $10::text, (n.old).vendor, $11::text, (n.old).description, $12::text, (n.old).value, $13::text, (n.old).currency, $14::text, (n.old).weight, $15::text, (n.old).length, $16::text, (n.old).width, $17::text, (n.old).height) END AS before
  FROM next n
  WHERE n.is_new OR ROW(n.external_id, n.name, n.sku, n.gtin, n.upc, n.vendor, n.description, n.value, n.currency, n.weight, n.length, n.width, n.height) IS DISTINCT FROM ROW((n.old).external_id, (n.old).name, (n.old).sku, (n.old).gtin, (n.old).upc, (n.old).vendor, (n.old).description, (n.old).value, (n.old).currency, (n.old).weight, (n.old).length, (n.old).width, (n.old).height)
), events AS (  -- data-modifying CTEs run to completion whether read or not
  INSERT INTO forecast_events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $3, $4, $18, c.id,
         CASE WHEN c.is_new THEN 'record.created' ELSE 'record.updated' END, c.before, jsonb_build_object($5::text, c.external_id, $6::text, c.name, $7::text, c.sku, $8::text, c.gtin, $9::text, c.upc, $10::text, c.vendor, $11::text, c.description, $12::text, c.value, $13::text, c.currency, $14::text, c.weight, $15::text, c.length, $16::text, c.width, $17::text, c.height)
  FROM changes c
  RETURNING 1
)
SELECT count(*) FILTER (WHERE is_new)::int AS created,
       count(*) FILTER (WHERE NOT is_new)::int AS updated,
       (SELECT count(*) FROM events)::int AS events
FROM changes;
--   $1 = first row of the range: 1
--   $2 = last row of the range: 2000
--   $3 = organization id: "org_0000000000sample"
--   $4 = import id: "imp_0000000000sample"
--   $5 = "external_id"
--   $6 = "name"
--   $7 = "sku"
--   $8 = "gtin"
--   $9 = "upc"
--   $10 = "vendor"
--   $11 = "description"
--   $12 = "value"
--   $13 = "currency"
--   $14 = "weight"
--   $15 = "length"
--   $16 = "width"
--   $17 = "height"
--   $18 = "item"

-- [24] cleanup · removeRecords.spareRequired(dry run) (only when the import is a dry run)
DELETE FROM doomed d WHERE EXISTS (SELECT 1 FROM assets x WHERE x.organization_id = $1 AND x.item = d.id) RETURNING d.id;
--   $1 = organization id: "org_0000000000sample"

-- [25] cleanup · removeRecords.deleteDoomed(dry run) (only when the import is a dry run)
WITH gone AS (
  SELECT t.* FROM items t JOIN doomed d ON d.id = t.id WHERE t.organization_id = $1
), ev AS (
  INSERT INTO forecast_events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, g.id, 'record.deleted', (to_jsonb(g) - 'organization_id' - 'id' - 'created_at' - 'updated_at'), NULL FROM gone g
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "item"

