import { sql, type SqlFragment } from '../db/sql.js';
import { getResource } from '../resources/index.js';
import { referenceTargets, type ReferenceSpec, type ResourceDefinition } from '../resources/resource.js';
import type { StatementParams } from './statement-params.js';

// SQL pieces for resolving reference cells (SPEC §2): a cell holds an id or a value of any
// lookup key of the target; a many-reference holds several. Each value becomes one row of
// `refs` (row, field, pos, ord, value, target). Each distinct (target, value) is matched once,
// against every key of its target with one equi-join per key: a million rows naming a hundred
// locations resolve a hundred values, then join those to the rows.

/** A LATERAL subquery over `r` (import_rows) and `i` (import_row_ids) yielding the row's reference values. */
export function referenceValues(def: ResourceDefinition): SqlFragment {
  const parts = def.references.map((ref, pos) => {
    const f = ref.field;
    const target = targetExpr(def, ref);
    return ref.many
      ? sql`SELECT ${f}::text AS field, ${pos}::int AS pos, e.ord::int AS ord, e.value, ${target} AS target
         FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(r.vals -> ${f}) = 'array' THEN r.vals -> ${f} END)
              WITH ORDINALITY AS e(value, ord)`
      : sql`SELECT ${f}::text AS field, ${pos}::int AS pos, 1 AS ord, r.vals ->> ${f} AS value, ${target} AS target
         WHERE jsonb_typeof(r.vals -> ${f}) = 'string'`;
  });
  return sql.join(parts, '\nUNION ALL\n');
}

/** The target resource name of a reference, as SQL (group.children depends on the row's type). */
function targetExpr(def: ResourceDefinition, ref: ReferenceSpec): SqlFragment {
  if (typeof ref.target === 'string') return sql`${ref.target}::text`;
  const by = ref.target.by;
  const stored = sql`(SELECT t.${sql.ident(by)} FROM ${sql.ident(def.table)} t WHERE t.id = i.record_id)`;
  const cases = sql.join(
    Object.entries(ref.target.map).map(([value, target]) => sql`WHEN ${value} THEN ${target}::text`),
    ' ',
  );
  return sql`(CASE coalesce(r.vals ->> ${by}, ${stored}) ${cases} END)`;
}

/**
 * UNION ALL of (target, value, id) for every record of a target that a distinct reference value
 * (temporary table `ref_values`: target, value) names.
 */
export function referenceMatches(def: ResourceDefinition, p: Pick<StatementParams, 'organizationId'>): SqlFragment {
  const targets = [...new Set(def.references.flatMap(referenceTargets))].map(getResource);
  const parts: SqlFragment[] = [];
  for (const t of targets) {
    const table = sql.ident(t.table);
    parts.push(
      sql`SELECT x.target, x.value, t.id FROM ref_values x JOIN ${table} t
         ON t.organization_id = ${p.organizationId} AND t.id = x.value WHERE x.target = ${t.name}`,
    );
    for (const key of t.lookupKeys) {
      const norm = t.fields[key]?.normalise?.('A') === 'a' ? sql`lower(x.value)` : sql`x.value`;
      parts.push(
        sql`SELECT x.target, x.value, t.id FROM ref_values x JOIN ${table} t
           ON t.organization_id = ${p.organizationId} AND t.${sql.ident(key)} = ${norm} WHERE x.target = ${t.name}`,
      );
    }
  }
  return sql.join(parts, '\nUNION ALL\n');
}

/** The reference fields holding several ids, as a text[] (empty when none). */
export function manyFieldsArray(def: ResourceDefinition): SqlFragment {
  const many = def.references.filter((r) => r.many).map((r) => r.field);
  return many.length > 0 ? sql`ARRAY[${sql.join(many, ', ')}]::text[]` : sql`ARRAY[]::text[]`;
}
