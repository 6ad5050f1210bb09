-- contact merge: 26 statements

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
--   $10 = action: "merge"
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
--   $2 = "a contact"
--   $3 = action: "merge"
--   $4 = "name"
--   $5 = first row of the range: 1
--   $6 = last row of the range: 2000

-- [11] validation · resolveReferences.refs
CREATE TEMPORARY TABLE refs (row int, field text, pos int, ord int, value text, target text) ON COMMIT DROP;

-- [12] validation · resolveReferences.refs
INSERT INTO refs SELECT r.row, v.field, v.pos, v.ord, v.value, v.target
FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $1 AND $2 CROSS JOIN LATERAL (SELECT $3::text AS field, $4::int AS pos, e.ord::int AS ord, e.value, $5::text AS target
  FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(r.vals -> $3) = 'array' THEN r.vals -> $3 END)
       WITH ORDINALITY AS e(value, ord)
UNION ALL
SELECT $6::text AS field, $7::int AS pos, e.ord::int AS ord, e.value, $8::text AS target
  FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(r.vals -> $6) = 'array' THEN r.vals -> $6 END)
       WITH ORDINALITY AS e(value, ord)) v
WHERE r.import_id = $9 AND r.row BETWEEN $1 AND $2
AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $1 AND $2);
--   $1 = first row of the range: 1
--   $2 = last row of the range: 2000
--   $3 = "groups"
--   $4 = 0
--   $5 = "group"
--   $6 = "locations"
--   $7 = 1
--   $8 = "location"
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
FROM (SELECT x.target, x.value, t.id FROM ref_values x JOIN groups t
ON t.organization_id = $1 AND t.id = x.value WHERE x.target = $2
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN groups t
ON t.organization_id = $1 AND t.external_id = x.value WHERE x.target = $2
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN groups t
ON t.organization_id = $1 AND t.name = x.value WHERE x.target = $2
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN locations t
ON t.organization_id = $1 AND t.id = x.value WHERE x.target = $3
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN locations t
ON t.organization_id = $1 AND t.external_id = x.value WHERE x.target = $3
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN locations t
ON t.organization_id = $1 AND t.code = x.value WHERE x.target = $3
UNION ALL
SELECT x.target, x.value, t.id FROM ref_values x JOIN locations t
ON t.organization_id = $1 AND t.name = x.value WHERE x.target = $3) m GROUP BY m.target, m.value;
--   $1 = organization id: "org_0000000000sample"
--   $2 = "group"
--   $3 = "location"

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
  SELECT c.row, jsonb_object_agg(c.field, CASE WHEN c.field = ANY(ARRAY[$2, $3]::text[]) THEN to_jsonb(c.ids_all) ELSE to_jsonb(c.ids_all[1]) END) AS refs
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
--   $2 = "groups"
--   $3 = "locations"

-- [19] processing · countLiveRows (only when first range)
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [20] processing · lockReferenceTargets
WITH wanted AS (
  SELECT DISTINCT x.id FROM import_row_refs f CROSS JOIN LATERAL jsonb_each(f.refs) AS e(key, value)
  CROSS JOIN LATERAL (
    SELECT e.value #>> '{}' AS id WHERE jsonb_typeof(e.value) = 'string'
    UNION ALL
    SELECT a FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.value) = 'array' THEN e.value END) AS a
  ) x
  WHERE f.import_id = $1 AND f.row BETWEEN $2 AND $3 AND e.key IN ($4, $5)
), lock_0 AS (SELECT t.id FROM groups t
            WHERE t.organization_id = $6 AND t.id IN (SELECT w.id FROM wanted w WHERE starts_with(w.id, $7))
            FOR KEY SHARE), lock_1 AS (SELECT t.id FROM locations t
            WHERE t.organization_id = $6 AND t.id IN (SELECT w.id FROM wanted w WHERE starts_with(w.id, $8))
            FOR KEY SHARE)
SELECT (SELECT count(*) FROM wanted)::int AS wanted, (SELECT count(*) FROM (SELECT id FROM lock_0 UNION ALL SELECT id FROM lock_1) l)::int AS locked;
--   $1 = import id: "imp_0000000000sample"
--   $2 = first row of the range: 1
--   $3 = last row of the range: 2000
--   $4 = "groups"
--   $5 = "locations"
--   $6 = organization id: "org_0000000000sample"
--   $7 = "grp_"
--   $8 = "loc_"

-- [21] processing · removeVanished (only when a referenced record vanished meanwhile)
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
), lock_0 AS (SELECT t.id FROM groups t
            WHERE t.organization_id = $6 AND t.id IN (SELECT w.id FROM wanted w WHERE starts_with(w.id, $7))
            FOR KEY SHARE), lock_1 AS (SELECT t.id FROM locations t
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
--   $4 = "groups"
--   $5 = "locations"
--   $6 = organization id: "org_0000000000sample"
--   $7 = "grp_"
--   $8 = "loc_"

-- [22] processing · countLiveRows
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [23] processing · upsertRecords
WITH src AS (
  SELECT r.row, i.record_id AS id, i.is_new, r.vals, p, t AS old
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $1 AND $2
  LEFT JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN $1 AND $2
  LEFT JOIN contacts t ON t.id = i.record_id AND t.organization_id = $3
  -- In FROM, the record is built once per row; as an expression of the inlined CTE,
  -- every (s.p).field below would call jsonb_populate_record again.
  CROSS JOIN LATERAL jsonb_populate_record(NULL::contacts, r.vals || coalesce(f.refs, '{}'::jsonb)) p
  WHERE r.import_id = $4 AND r.row BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $1 AND $2)
), next AS (
  SELECT s.id, s.is_new, s.old, CASE WHEN s.vals ? $5 THEN (s.p).external_id ELSE (s.old).external_id END AS external_id, CASE WHEN s.vals ? $6 THEN (s.p).name ELSE (s.old).name END AS name, CASE WHEN s.vals ? $7 THEN (s.p).email ELSE (s.old).email END AS email, CASE WHEN s.vals ? $8 THEN (s.p).phone ELSE (s.old).phone END AS phone, CASE WHEN s.vals ? $9 THEN (s.p).id_number ELSE (s.old).id_number END AS id_number, CASE WHEN s.vals ? $10 THEN (s.p).nickname ELSE (s.old).nickname END AS nickname, CASE WHEN s.vals ? $11 THEN (s.p).notes ELSE (s.old).notes END AS notes, CASE WHEN s.vals ? $12 THEN (s.p).metadata ELSE (s.old).metadata END AS metadata, CASE WHEN s.vals ? $13 THEN (s.p).groups ELSE (s.old).groups END AS groups, CASE WHEN s.vals ? $14 THEN (s.p).locations ELSE (s.old).locations END AS locations
  FROM src s
), changes AS (
  -- Only the records that change: the rows of the file that change nothing (all of them,
  -- when a file is imported twice) never reach the two writes below, nor the tuplestore
  -- this CTE is kept in. Compared column by column; the record before is kept as JSON,
  -- for the event, and only for updates.
  SELECT n.id, n.is_new, n.external_id, n.name, n.email, n.phone, n.id_number, n.nickname, n.notes, n.metadata, n.groups, n.locations, CASE WHEN NOT n.is_new THEN jsonb_build_object($5::text, (n.old).external_id, $6::text, (n.old).name, $7::text, (n.old).email, $8::text, (n.old).phone, $9::text, (n.old).id_number, $10::text, (n.old).nickname, $11::text, (n.old).notes, $12::text, (n.old).metadata, $13::text, (n.old).groups, $14::text, (n.old).locations) END AS before
  FROM next n
  WHERE n.is_new OR ROW(n.external_id, n.name, n.email, n.phone, n.id_number, n.nickname, n.notes, n.metadata, n.groups, n.locations) IS DISTINCT FROM ROW((n.old).external_id, (n.old).name, (n.old).email, (n.old).phone, (n.old).id_number, (n.old).nickname, (n.old).notes, (n.old).metadata, (n.old).groups, (n.old).locations)
), written AS (
  INSERT INTO contacts AS t (organization_id, id, external_id, name, email, phone, id_number, nickname, notes, metadata, groups, locations, created_at, updated_at)
  SELECT $3, c.id, c.external_id, c.name, c.email, c.phone, c.id_number, c.nickname, c.notes, c.metadata, c.groups, c.locations, now(), now() FROM changes c
  ON CONFLICT (id) DO UPDATE SET external_id = EXCLUDED.external_id, name = EXCLUDED.name, email = EXCLUDED.email, phone = EXCLUDED.phone, id_number = EXCLUDED.id_number, nickname = EXCLUDED.nickname, notes = EXCLUDED.notes, metadata = EXCLUDED.metadata, groups = EXCLUDED.groups, locations = EXCLUDED.locations, updated_at = now()
  RETURNING 1
), events AS (  -- data-modifying CTEs run to completion whether read or not
  INSERT INTO events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $3, $4, $15, c.id,
         CASE WHEN c.is_new THEN 'record.created' ELSE 'record.updated' END, c.before, jsonb_build_object($5::text, c.external_id, $6::text, c.name, $7::text, c.email, $8::text, c.phone, $9::text, c.id_number, $10::text, c.nickname, $11::text, c.notes, $12::text, c.metadata, $13::text, c.groups, $14::text, c.locations)
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
--   $7 = "email"
--   $8 = "phone"
--   $9 = "id_number"
--   $10 = "nickname"
--   $11 = "notes"
--   $12 = "metadata"
--   $13 = "groups"
--   $14 = "locations"
--   $15 = "contact"

-- [24] processing · undoUpserts (only when an import ends while ranged processing is unfinished)
WITH ev AS (
  DELETE FROM events e WHERE e.organization_id = $1 AND e.import_id = $2 RETURNING e.record_id, e.type, e.before
), created AS (
  DELETE FROM contacts t USING ev WHERE ev.type = 'record.created' AND t.organization_id = $1 AND t.id = ev.record_id
), updated AS (
  UPDATE contacts t SET external_id = (b.p).external_id, name = (b.p).name, email = (b.p).email, phone = (b.p).phone, id_number = (b.p).id_number, nickname = (b.p).nickname, notes = (b.p).notes, metadata = (b.p).metadata, groups = (b.p).groups, locations = (b.p).locations, updated_at = now()
  FROM (SELECT ev.record_id, jsonb_populate_record(NULL::contacts, ev.before) AS p FROM ev WHERE ev.type = 'record.updated') b
  WHERE t.organization_id = $1 AND t.id = b.record_id
)
SELECT 1;
--   $1 = organization id: "org_0000000000sample"
--   $2 = import id: "imp_0000000000sample"

-- [25] cleanup · countLiveRows
SELECT coalesce(
(SELECT p.total - (SELECT count(*) FROM import_errors e WHERE e.import_id = $1)
 FROM import_phases p WHERE p.import_id = $1 AND p.position = 0 AND p.status = 'completed'),
(SELECT count(*) FROM import_rows r WHERE r.import_id = $1 AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row)))::int AS n;
--   $1 = import id: "imp_0000000000sample"

-- [26] processing · upsertRecords(dry run) (only when the import is a dry run)
WITH src AS (
  SELECT r.row, i.record_id AS id, i.is_new, r.vals, p, t AS old
  FROM import_rows r JOIN import_row_ids i ON i.import_id = r.import_id AND i.row = r.row AND i.row BETWEEN $1 AND $2
  LEFT JOIN import_row_refs f ON f.import_id = r.import_id AND f.row = r.row AND f.row BETWEEN $1 AND $2
  LEFT JOIN contacts t ON t.id = i.record_id AND t.organization_id = $3
  -- In FROM, the record is built once per row; as an expression of the inlined CTE,
  -- every (s.p).field below would call jsonb_populate_record again.
  CROSS JOIN LATERAL jsonb_populate_record(NULL::contacts, r.vals || coalesce(f.refs, '{}'::jsonb)) p
  WHERE r.import_id = $4 AND r.row BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = r.import_id AND e.row = r.row AND e.row BETWEEN $1 AND $2)
), next AS (
  SELECT s.id, s.is_new, s.old, CASE WHEN s.vals ? $5 THEN (s.p).external_id ELSE (s.old).external_id END AS external_id, CASE WHEN s.vals ? $6 THEN (s.p).name ELSE (s.old).name END AS name, CASE WHEN s.vals ? $7 THEN (s.p).email ELSE (s.old).email END AS email, CASE WHEN s.vals ? $8 THEN (s.p).phone ELSE (s.old).phone END AS phone, CASE WHEN s.vals ? $9 THEN (s.p).id_number ELSE (s.old).id_number END AS id_number, CASE WHEN s.vals ? $10 THEN (s.p).nickname ELSE (s.old).nickname END AS nickname, CASE WHEN s.vals ? $11 THEN (s.p).notes ELSE (s.old).notes END AS notes, CASE WHEN s.vals ? $12 THEN (s.p).metadata ELSE (s.old).metadata END AS metadata, CASE WHEN s.vals ? $13 THEN (s.p).groups ELSE (s.old).groups END AS groups, CASE WHEN s.vals ? $14 THEN (s.p).locations ELSE (s.old).locations END AS locations
  FROM src s
), changes AS (
  -- Only the records that change: the rows of the file that change nothing (all of them,
  -- when a file is imported twice) never reach the two writes below, nor the tuplestore
  -- this CTE is kept in. Compared column by column; the record before is kept as JSON,
  -- for the event, and only for updates.
  SELECT n.id, n.is_new, n.external_id, n.name, n.email, n.phone, n.id_number, n.nickname, n.notes, n.metadata, n.groups, n.locations, CASE WHEN NOT n.is_new THEN jsonb_build_object($5::text, (n.old).external_id, $6::text, (n.old).name, $7::text, (n.old).email, $8::text, (n.old).phone, $9::text, (n.old).id_number, $10::text, (n.old).nickname, $11::text, (n.old).notes, $12::text, (n.old).metadata, $13::text, (n.old).groups, $14::text, (n.old).locations) END AS before
  FROM next n
  WHERE n.is_new OR ROW(n.external_id, n.name, n.email, n.phone, n.id_number, n.nickname, n.notes, n.metadata, n.groups, n.locations) IS DISTINCT FROM ROW((n.old).external_id, (n.old).name, (n.old).email, (n.old).phone, (n.old).id_number, (n.old).nickname, (n.old).notes, (n.old).metadata, (n.old).groups, (n.old).locations)
), events AS (  -- data-modifying CTEs run to completion whether read or not
  INSERT INTO forecast_events (id, organization_id, import_id, resource, record_id, type, before, after)
  SELECT gen_id('evt_'), $3, $4, $15, c.id,
         CASE WHEN c.is_new THEN 'record.created' ELSE 'record.updated' END, c.before, jsonb_build_object($5::text, c.external_id, $6::text, c.name, $7::text, c.email, $8::text, c.phone, $9::text, c.id_number, $10::text, c.nickname, $11::text, c.notes, $12::text, c.metadata, $13::text, c.groups, $14::text, c.locations)
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
--   $7 = "email"
--   $8 = "phone"
--   $9 = "id_number"
--   $10 = "nickname"
--   $11 = "notes"
--   $12 = "metadata"
--   $13 = "groups"
--   $14 = "locations"
--   $15 = "contact"

