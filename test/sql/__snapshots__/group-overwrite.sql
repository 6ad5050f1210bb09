-- group overwrite: 35 statements

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
--   $6 = "group"

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
--   $2 = "name"
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
  LEFT JOIN (SELECT id AS v, 1 AS c, id FROM groups WHERE organization_id = $13 AND id IN (SELECT w.v FROM wanted_keys w WHERE w.key = $4)) s0 ON s0.v = live.keys ->> $4
  LEFT JOIN (SELECT external_id AS v, 1 AS c, id FROM groups WHERE organization_id = $13) s1 ON s1.v = live.keys ->> $5
  LEFT JOIN (SELECT name AS v, count(*)::int AS c, min(id) AS id FROM groups
                 WHERE organization_id = $13 AND name IN (SELECT w.v FROM wanted_keys w WHERE w.key = $6) GROUP BY name) s2 ON s2.v = live.keys ->> $6
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
--   $6 = "name"
--   $7 = "missing_identity"
--   $8 = "not_found"
--   $9 = "ambiguous_identity"
--   $10 = action: "overwrite"
--   $11 = "id, external_id, name"
--   $12 = "group"
--   $13 = organization id: "org_0000000000sample"
--   $14 = "grp_"

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
--   $6 = "group"

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
  SELECT r.row, r.vals, i.is_new, coalesce(CASE WHEN (i.is_new OR $3 = 'overwrite') AND NOT (r.vals ? $5) THEN $5::text
     WHEN jsonb_typeof(r.vals -> $5) = 'null' THEN $5::text END, CASE WHEN (i.is_new OR $3 = 'overwrite') AND NOT (r.vals ? $6) THEN $6::text
     WHEN jsonb_typeof(r.vals -> $6) = 'null' THEN $6::text END) AS field
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $7 AND $8 WHERE r.import_id = $1 AND r.row BETWEEN $7 AND $8
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $7 AND $8)
) m
WHERE m.field IS NOT NULL;
--   $1 = import id: "imp_0000000000sample"
--   $2 = "a group"
--   $3 = action: "overwrite"
--   $4 = "name, type"
--   $5 = "name"
--   $6 = "type"
--   $7 = first row of the range: 1
--   $8 = last row of the range: 2000

-- [11] validation · resolveReferences.refs
CREATE TEMPORARY TABLE refs (row int, field text, pos int, ord int, value text, target text) ON COMMIT DROP;

-- [12] validation · resolveReferences.refs
INSERT INTO refs SELECT r.row, v.field, v.pos, v.ord, v.value, v.target
FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $1 AND $2 CROSS JOIN LATERAL (SELECT $3::text AS field, $4::int AS pos, 1 AS ord, r.vals ->> $3 AS value, $3::text AS target
  WHERE jsonb_typeof(r.vals -> $3) = 'string'
UNION ALL
SELECT $5::text AS field, $6::int AS pos, e.ord::int AS ord, e.value, (CASE coalesce(r.vals ->> $7, (SELECT t.type FROM groups t WHERE t.id = i.record_id)) WHEN $8 THEN $8::text WHEN $3 THEN $3::text END) AS target
  FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(r.vals -> $5) = 'array' THEN r.vals -> $5 END)
       WITH ORDINALITY AS e(value, ord)) v
WHERE r.import_id = $9 AND r.row BETWEEN $1 AND $2
AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $1 AND $2);
--   $1 = first row of the range: 1
--   $2 = last row of the range: 2000
--   $3 = "location"
--   $4 = 0
--   $5 = "children"
--   $6 = 1
--   $7 = "type"
--   $8 = "contact"
--   $9 = import id: "imp_0000000000sample"

-- [13] validation · resolveReferences.refs
ANALYZE refs;

-- [14] validation · resolveReferences.values
CREATE TEMPORARY TABLE ref_values ON COMMIT DROP AS
SELECT DISTINCT target, value FROM refs WHERE target IS NOT NULL;

-- [15] validation · resolveReferences.values
ANALYZE ref_values;

-- [16] validation · resolveReferences.matches
CREATE TEMPORARY TABLE ref_matches ON COMMIT DROP AS
SELECT m.target, m.value, count(DISTINCT m.id)::int AS n, (array_agg(DISTINCT m.id ORDER BY m.id))[1:5] AS ids
FROM (SELECT x.target, x.value, t.id FROM ref_values x JOIN locations t
ON t.organization_id = $1 AND t.id = x.value WHERE x.target = $2
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN locations t
ON t.organization_id = $1 AND t.external_id = x.value WHERE x.target = $2
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN locations t
ON t.organization_id = $1 AND t.code = x.value WHERE x.target = $2
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN locations t
ON t.organization_id = $1 AND t.name = x.value WHERE x.target = $2
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN contacts t
ON t.organization_id = $1 AND t.id = x.value WHERE x.target = $3
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN contacts t
ON t.organization_id = $1 AND t.external_id = x.value WHERE x.target = $3
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN contacts t
ON t.organization_id = $1 AND t.email = lower(x.value) WHERE x.target = $3) m GROUP BY m.target, m.value;
--   $1 = organization id: "org_0000000000sample"
--   $2 = "location"
--   $3 = "contact"

-- [17] validation · resolveReferences.matches
ANALYZE ref_matches;

-- [18] validation · resolveReferences.save
WITH counted AS (
  SELECT x.row, x.field, x.pos, x.ord, x.value, x.target, coalesce(m.n, 0) AS n, m.ids
  FROM refs x LEFT JOIN ref_matches m ON m.target = x.target AND m.value = x.value
), bad AS (
  SELECT DISTINCT ON (c.row) c.* FROM counted c WHERE c.n <> 1 ORDER BY c.row, c.pos, c.ord
), errors AS (
  INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
  SELECT $1, b.row, 'validation',
    CASE WHEN b.n = 0 THEN 'invalid_reference' ELSE 'ambiguous_reference' END,
    b.field,
    CASE
      WHEN b.target IS NULL THEN b.field || ': cannot tell what "' || b.value || '" refers to; set the group''s type (contact or location).'
      WHEN b.n = 0 THEN b.field || ': no ' || b.target || ' matches "' || b.value || '"; expected an id or a value of one of its lookup keys.'
      ELSE b.field || ': "' || b.value || '" matches ' || b.n || ' ' || b.target || ' records (' || array_to_string(b.ids, ', ')
        || '); use the id or a key that matches exactly one.'
    END,
    r.raw
  FROM bad b JOIN import_rows r ON r.import_id = $1 AND r.row = b.row
  RETURNING 1
), resolved AS (
  SELECT c.row, jsonb_object_agg(c.field, CASE WHEN c.field = ANY(ARRAY[$2]::text[]) THEN to_jsonb(c.ids_all) ELSE to_jsonb(c.ids_all[1]) END) AS refs
  FROM (
    SELECT row, field, array_agg(DISTINCT ids[1] ORDER BY ids[1]) AS ids_all
    FROM counted WHERE row NOT IN (SELECT row FROM bad)
    GROUP BY row, field
  ) c
  GROUP BY c.row
), saved AS (
  INSERT INTO import_row_refs (import_id, row, refs) SELECT $1, s.row, s.refs FROM resolved s
  RETURNING 1
)
SELECT (SELECT count(*) FROM errors)::int AS errors, (SELECT count(*) FROM saved)::int AS saved;
--   $1 = import id: "imp_0000000000sample"
--   $2 = "children"

-- [19] processing · countLiveRows (only when first range)
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [20] processing · countScope (only when first range)
SELECT count(*)::int AS n FROM groups t WHERE t.organization_id = $1 AND t.location = $2;
--   $1 = organization id: "org_0000000000sample"
--   $2 = location_id: "loc_0000000000sample"

-- [21] processing · lockReferenceTargets
WITH wanted AS (
  SELECT DISTINCT x.id FROM import_row_refs f CROSS JOIN LATERAL jsonb_each(f.refs) AS e(key, value)
  CROSS JOIN LATERAL (
    SELECT e.value #>> '{}' AS id WHERE jsonb_typeof(e.value) = 'string'
    UNION ALL
    SELECT a FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.value) = 'array' THEN e.value END) AS a
  ) x
  WHERE f.import_id = $1 AND f.row BETWEEN $2 AND $3 AND e.key IN ($4, $5)
), lock_0 AS (SELECT t.id FROM locations t
            WHERE t.organization_id = $6 AND t.id IN (SELECT w.id FROM wanted w WHERE starts_with(w.id, $7))
            FOR KEY SHARE), lock_1 AS (SELECT t.id FROM contacts t
            WHERE t.organization_id = $6 AND t.id IN (SELECT w.id FROM wanted w WHERE starts_with(w.id, $8))
            FOR KEY SHARE)
SELECT (SELECT count(*) FROM wanted)::int AS wanted, (SELECT count(*) FROM (SELECT id FROM lock_0 UNION ALL SELECT id FROM lock_1) l)::int AS locked;
--   $1 = import id: "imp_0000000000sample"
--   $2 = first row of the range: 1
--   $3 = last row of the range: 2000
--   $4 = "location"
--   $5 = "children"
--   $6 = organization id: "org_0000000000sample"
--   $7 = "loc_"
--   $8 = "con_"

-- [22] processing · removeVanished (only when a referenced record vanished meanwhile)
WITH wanted AS (
  SELECT r.row, e.key AS field, x.id
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $1 AND $2
  JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN $1 AND $2
  CROSS JOIN LATERAL jsonb_each(f.refs) AS e(key, value)
  CROSS JOIN LATERAL (
    SELECT e.value #>> '{}' AS id WHERE jsonb_typeof(e.value) = 'string'
    UNION ALL
    SELECT a FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.value) = 'array' THEN e.value END) AS a
  ) x
  WHERE r.import_id = $3 AND r.row BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $1 AND $2) AND e.key IN ($4, $5)
), lock_0 AS (SELECT t.id FROM locations t
            WHERE t.organization_id = $6 AND t.id IN (SELECT w.id FROM wanted w WHERE starts_with(w.id, $7))
            FOR KEY SHARE), lock_1 AS (SELECT t.id FROM contacts t
            WHERE t.organization_id = $6 AND t.id IN (SELECT w.id FROM wanted w WHERE starts_with(w.id, $8))
            FOR KEY SHARE), locked AS (SELECT id FROM lock_0 UNION ALL SELECT id FROM lock_1), vanished AS (
  SELECT DISTINCT ON (w.row) w.row, w.field, w.id FROM wanted w WHERE w.id NOT IN (SELECT id FROM locked) ORDER BY w.row, w.field
)
INSERT INTO import_errors (import_id, row, phase, code, field, message, data)
SELECT $3, v.row, 'processing', 'invalid_reference', v.field,
       v.field || ': ' || v.id || ' was deleted while this import ran; import the row again once it exists.', r.raw
FROM vanished v JOIN import_rows r ON r.import_id = $3 AND r.row = v.row;
--   $1 = first row of the range: 1
--   $2 = last row of the range: 2000
--   $3 = import id: "imp_0000000000sample"
--   $4 = "location"
--   $5 = "children"
--   $6 = organization id: "org_0000000000sample"
--   $7 = "loc_"
--   $8 = "con_"

-- [23] processing · countLiveRows
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [24] processing · upsertRecords
WITH src AS (
  SELECT r.row, i.record_id AS id, i.is_new, r.vals, p, t AS old
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $1 AND $2
  LEFT JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN $1 AND $2
  LEFT JOIN groups t ON t.id = i.record_id AND t.organization_id = $3
  -- In FROM, the record is built once per row; as an expression of the inlined CTE,
  -- every (s.p).field below would call jsonb_populate_record again.
  CROSS JOIN LATERAL jsonb_populate_record(NULL::groups, r.vals || coalesce(f.refs, '{}'::jsonb)) p
  WHERE r.import_id = $4 AND r.row BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $1 AND $2)
), next AS (
  SELECT s.id, s.is_new, s.old, (s.p).external_id AS external_id, (s.p).name AS name, (s.p).type AS type, (s.p).description AS description, (s.p).location AS location, (s.p).children AS children
  FROM src s
), changes AS (
  -- Only the records that change: the rows of the file that change nothing (all of them,
  -- when a file is imported twice) never reach the two writes below, nor the tuplestore
  -- this CTE is kept in. Compared column by column; the record before is kept as JSON,
  -- for the event, and only for updates.
  SELECT n.id, n.is_new, n.external_id, n.name, n.type, n.description, n.location, n.children, CASE WHEN NOT n.is_new THEN jsonb_build_object($5::text, (n.old).external_id, $6::text, (n.old).name, $7::text, (n.old).type, $8::text, (n.old).description, $9::text, (n.old).location, $10::text, (n.old).children) END AS before
  FROM next n
  WHERE n.is_new OR ROW(n.external_id, n.name, n.type, n.description, n.location, n.children) IS DISTINCT FROM ROW((n.old).external_id, (n.old).name, (n.old).type, (n.old).description, (n.old).location, (n.old).children)
), written AS (
  INSERT INTO groups AS t (organization_id, id, external_id, name, type, description, location, children, created_at, updated_at)
  SELECT $3, c.id, c.external_id, c.name, c.type, c.description, c.location, c.children, now(), now() FROM changes c
  ON CONFLICT (id) DO UPDATE SET external_id = EXCLUDED.external_id, name = EXCLUDED.name, type = EXCLUDED.type, description = EXCLUDED.description, location = EXCLUDED.location, children = EXCLUDED.children, updated_at = now()
  RETURNING 1
), events AS (  -- data-modifying CTEs run to completion whether read or not
  INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $3, $4, $11, c.id,
         CASE WHEN c.is_new THEN 'record.created' ELSE 'record.updated' END, c.before, jsonb_build_object($5::text, c.external_id, $6::text, c.name, $7::text, c.type, $8::text, c.description, $9::text, c.location, $10::text, c.children)
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
--   $7 = "type"
--   $8 = "description"
--   $9 = "location"
--   $10 = "children"
--   $11 = "group"

-- [25] processing · undoUpserts (only when an import ends while ranged processing is unfinished)
WITH ev AS (
  DELETE FROM events e WHERE e.organization_id = $1 AND e.import_id = $2 RETURNING e.record_id, e.type, e.before
), created AS (
  DELETE FROM groups t USING ev WHERE ev.type = 'record.created' AND t.organization_id = $1 AND t.id = ev.record_id
), updated AS (
  UPDATE groups t SET external_id = (b.p).external_id, name = (b.p).name, type = (b.p).type, description = (b.p).description, location = (b.p).location, children = (b.p).children, updated_at = now()
  FROM (SELECT ev.record_id, jsonb_populate_record(NULL::groups, ev.before) AS p FROM ev WHERE ev.type = 'record.updated') b
  WHERE t.organization_id = $1 AND t.id = b.record_id
)
SELECT 1;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"

-- [26] cleanup · countLiveRows
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [27] cleanup · countUnmentioned
SELECT (SELECT count(*) FROM (SELECT t.id FROM groups t
WHERE t.organization_id = $1 AND t.location = $2 AND t.id NOT IN (SELECT i.record_id FROM import_row_ids i WHERE i.import_id = $3 UNION SELECT m.id FROM import_rows r JOIN groups m ON m.organization_id = $1 AND m.id = r.keys ->> $4
       WHERE r.import_id = $3 AND split_part(r.ident, ':', 1) = $4
         AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $3 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN groups m ON m.organization_id = $1 AND m.external_id = r.keys ->> $5
       WHERE r.import_id = $3 AND split_part(r.ident, ':', 1) = $5
         AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $3 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN groups m ON m.organization_id = $1 AND m.name = r.keys ->> $6
       WHERE r.import_id = $3 AND split_part(r.ident, ':', 1) = $6
         AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $3 AND i.row = r.row))) c)::int AS doomed, i.scope_count_before AS existing_before, i.stats
FROM imports i WHERE i.id = $3;
--   $1 = organization id: "org_0000000000sample"
--   $2 = location_id: "loc_0000000000sample"
--   $3 = import id: "imp_0000000000sample"
--   $4 = "id"
--   $5 = "external_id"
--   $6 = "name"

-- [28] cleanup · removeRecords.doomed
CREATE TEMPORARY TABLE doomed (id text PRIMARY KEY) ON COMMIT DROP;

-- [29] cleanup · removeRecords.doomed
INSERT INTO doomed (id) SELECT DISTINCT ids.id FROM (SELECT t.id FROM groups t
WHERE t.organization_id = $1 AND t.location = $2 AND t.id NOT IN (SELECT i.record_id FROM import_row_ids i WHERE i.import_id = $3 UNION SELECT m.id FROM import_rows r JOIN groups m ON m.organization_id = $1 AND m.id = r.keys ->> $4
WHERE r.import_id = $3 AND split_part(r.ident, ':', 1) = $4
AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $3 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN groups m ON m.organization_id = $1 AND m.external_id = r.keys ->> $5
WHERE r.import_id = $3 AND split_part(r.ident, ':', 1) = $5
AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $3 AND i.row = r.row) UNION SELECT m.id FROM import_rows r JOIN groups m ON m.organization_id = $1 AND m.name = r.keys ->> $6
WHERE r.import_id = $3 AND split_part(r.ident, ':', 1) = $6
AND NOT EXISTS (SELECT 1 FROM import_row_ids i WHERE i.import_id = $3 AND i.row = r.row))) AS ids(id) WHERE ids.id IS NOT NULL;
--   $1 = organization id: "org_0000000000sample"
--   $2 = location_id: "loc_0000000000sample"
--   $3 = import id: "imp_0000000000sample"
--   $4 = "id"
--   $5 = "external_id"
--   $6 = "name"

-- [30] cleanup · removeRecords.lockDoomed
SELECT t.id FROM groups t JOIN doomed d ON d.id = t.id ORDER BY t.id FOR UPDATE OF t;

-- [31] cleanup · removeRecords.clearReferences(contact.groups)
WITH old AS (
  SELECT t.* FROM contacts t WHERE t.organization_id = $1 AND t.groups && ARRAY(SELECT id FROM doomed) FOR UPDATE
), changed AS (
  UPDATE contacts t SET groups = coalesce(ARRAY(SELECT x FROM unnest(t.groups) AS x WHERE x NOT IN (SELECT id FROM doomed) ORDER BY x), '{}'), updated_at = now() FROM old WHERE t.id = old.id RETURNING t.*
), ev AS (
  INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, c.id, 'record.updated', (to_jsonb(o) - 'organization_id' - 'id' - 'created_at' - 'updated_at'), (to_jsonb(c) - 'organization_id' - 'id' - 'created_at' - 'updated_at')
  FROM changed c JOIN old o ON o.id = c.id
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "contact"

-- [32] cleanup · removeRecords.deleteDoomed
WITH gone AS (
  DELETE FROM groups t USING doomed d WHERE t.id = d.id AND t.organization_id = $1 RETURNING t.*
), ev AS (
  INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, g.id, 'record.deleted', (to_jsonb(g) - 'organization_id' - 'id' - 'created_at' - 'updated_at'), NULL FROM gone g
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "group"

-- [33] processing · upsertRecords(dry run) (only when the import is a dry run)
WITH src AS (
  SELECT r.row, i.record_id AS id, i.is_new, r.vals, p, t AS old
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $1 AND $2
  LEFT JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN $1 AND $2
  LEFT JOIN groups t ON t.id = i.record_id AND t.organization_id = $3
  -- In FROM, the record is built once per row; as an expression of the inlined CTE,
  -- every (s.p).field below would call jsonb_populate_record again.
  CROSS JOIN LATERAL jsonb_populate_record(NULL::groups, r.vals || coalesce(f.refs, '{}'::jsonb)) p
  WHERE r.import_id = $4 AND r.row BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $1 AND $2)
), next AS (
  SELECT s.id, s.is_new, s.old, (s.p).external_id AS external_id, (s.p).name AS name, (s.p).type AS type, (s.p).description AS description, (s.p).location AS location, (s.p).children AS children
  FROM src s
), changes AS (
  -- Only the records that change: the rows of the file that change nothing (all of them,
  -- when a file is imported twice) never reach the two writes below, nor the tuplestore
  -- this CTE is kept in. Compared column by column; the record before is kept as JSON,
  -- for the event, and only for updates.
  SELECT n.id, n.is_new, n.external_id, n.name, n.type, n.description, n.location, n.children, CASE WHEN NOT n.is_new THEN jsonb_build_object($5::text, (n.old).external_id, $6::text, (n.old).name, $7::text, (n.old).type, $8::text, (n.old).description, $9::text, (n.old).location, $10::text, (n.old).children) END AS before
  FROM next n
  WHERE n.is_new OR ROW(n.external_id, n.name, n.type, n.description, n.location, n.children) IS DISTINCT FROM ROW((n.old).external_id, (n.old).name, (n.old).type, (n.old).description, (n.old).location, (n.old).children)
), events AS (  -- data-modifying CTEs run to completion whether read or not
  INSERT INTO forecast_events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $3, $4, $11, c.id,
         CASE WHEN c.is_new THEN 'record.created' ELSE 'record.updated' END, c.before, jsonb_build_object($5::text, c.external_id, $6::text, c.name, $7::text, c.type, $8::text, c.description, $9::text, c.location, $10::text, c.children)
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
--   $7 = "type"
--   $8 = "description"
--   $9 = "location"
--   $10 = "children"
--   $11 = "group"

-- [34] cleanup · removeRecords.clearReferences(contact.groups)(dry run) (only when the import is a dry run)
WITH ev AS (
  INSERT INTO forecast_events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, b.id, 'record.updated', b.before, b.before || jsonb_build_object($4::text, b.cleared)
  FROM (SELECT t.id, (to_jsonb(t) - 'organization_id' - 'id' - 'created_at' - 'updated_at') AS before, coalesce(ARRAY(SELECT x FROM unnest(t.groups) AS x WHERE x NOT IN (SELECT id FROM doomed) ORDER BY x), '{}') AS cleared
        FROM contacts t WHERE t.organization_id = $1 AND t.groups && ARRAY(SELECT id FROM doomed)) b
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "contact"
--   $4 = "groups"

-- [35] cleanup · removeRecords.deleteDoomed(dry run) (only when the import is a dry run)
WITH gone AS (
  SELECT t.* FROM groups t JOIN doomed d ON d.id = t.id WHERE t.organization_id = $1
), ev AS (
  INSERT INTO forecast_events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $1, $2, $3, g.id, 'record.deleted', (to_jsonb(g) - 'organization_id' - 'id' - 'created_at' - 'updated_at'), NULL FROM gone g
  RETURNING 1
)
SELECT count(*)::int AS n FROM ev;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"
--   $3 = "group"

