import { getResource } from '../resources/index.js';
import { referenceTargets, type ReferenceSpec, type ResourceDefinition } from '../resources/resource.js';
import { sqlLiteral } from '../staging/working-rows.js';

// SQL pieces for resolving reference cells (SPEC §2): a cell holds an id or a value of any
// lookup key of the target; a many-reference holds several. Each value becomes one row of
// `refs` (row, field, pos, ord, value, target). Each distinct (target, value) is matched once,
// against every key of its target with one equi-join per key: a million rows naming a hundred
// locations resolve a hundred values, then join those to the rows.

/** A LATERAL subquery over `r` (import_rows) and `i` (import_row_ids) yielding the row's reference values. */
export function referenceValues(def: ResourceDefinition): string {
  const parts = def.references.map((ref, pos) => {
    const f = sqlLiteral(ref.field);
    const target = targetExpr(def, ref);
    return ref.many
      ? `SELECT ${f} AS field, ${pos} AS pos, e.ord::int AS ord, e.value, ${target} AS target
         FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(r.vals -> ${f}) = 'array' THEN r.vals -> ${f} END)
              WITH ORDINALITY AS e(value, ord)`
      : `SELECT ${f} AS field, ${pos} AS pos, 1 AS ord, r.vals ->> ${f} AS value, ${target} AS target
         WHERE jsonb_typeof(r.vals -> ${f}) = 'string'`;
  });
  return parts.join('\nUNION ALL\n');
}

/** The target resource name of a reference, as SQL (group.children depends on the row's type). */
function targetExpr(def: ResourceDefinition, ref: ReferenceSpec): string {
  if (typeof ref.target === 'string') return sqlLiteral(ref.target);
  const by = sqlLiteral(ref.target.by);
  const stored = `(SELECT t.${ref.target.by} FROM ${def.table} t WHERE t.id = i.record_id)`;
  const cases = Object.entries(ref.target.map)
    .map(([value, target]) => `WHEN ${sqlLiteral(value)} THEN ${sqlLiteral(target)}`)
    .join(' ');
  return `(CASE coalesce(r.vals ->> ${by}, ${stored}) ${cases} END)`;
}

/**
 * UNION ALL of (target, value, id) for every record of a target that a distinct reference value
 * (temporary table `ref_values`: target, value) names. `$1` = organization.
 */
export function referenceMatches(def: ResourceDefinition): string {
  const targets = [...new Set(def.references.flatMap(referenceTargets))].map(getResource);
  const parts: string[] = [];
  for (const t of targets) {
    const lit = sqlLiteral(t.name);
    parts.push(
      `SELECT x.target, x.value, t.id FROM ref_values x JOIN ${t.table} t
         ON t.organization_id = $1 AND t.id = x.value WHERE x.target = ${lit}`,
    );
    for (const key of t.lookupKeys) {
      const norm = t.fields[key]?.normalise?.('A') === 'a' ? 'lower(x.value)' : 'x.value';
      parts.push(
        `SELECT x.target, x.value, t.id FROM ref_values x JOIN ${t.table} t
           ON t.organization_id = $1 AND t.${key} = ${norm} WHERE x.target = ${lit}`,
      );
    }
  }
  return parts.join('\nUNION ALL\n');
}

/** jsonb_build_object-ready pairs: many-references become arrays, single ones a string. */
export function manyFieldsArray(def: ResourceDefinition): string {
  const many = def.references.filter((r) => r.many).map((r) => sqlLiteral(r.field));
  return many.length > 0 ? `ARRAY[${many.join(', ')}]::text[]` : `ARRAY[]::text[]`;
}
