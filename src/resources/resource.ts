import { z } from 'zod';
import type { FieldSpec } from './fields.js';
import type { ResourceName } from '../domain/import.js';

// The definition of an importable resource. Everything else derives from it: the row schema
// of prevalidation, the JSON Schema at GET /v1/resources/{name}, header auto-mapping, and the
// SQL of every phase (column lists and key joins are built only from these names, never from
// input). Adding a resource = one definition file + its migration + a line in index.ts.

export type { ResourceName };

export interface ReferenceSpec {
  field: string;
  many: boolean;
  /** The target resource, or for `group.children` one chosen by another field of the row. */
  target: ResourceName | { by: string; map: Readonly<Record<string, ResourceName>> };
}

export interface ResourceDefinition {
  name: ResourceName;
  table: string;
  prefix: string;
  description: string;
  /** Every importable field except `id`, including `external_id`. Keys are column names. */
  fields: Readonly<Record<string, FieldSpec>>;
  /** Fields by which a row can name an existing record, tried in this order after `id`. */
  lookupKeys: readonly string[];
  requiredToCreate: readonly string[];
  references: readonly ReferenceSpec[];
  /** Set for resources tied to a location: rows default to the import's `location_id`. */
  locationField?: string;
  /** Fields generated on create when a row leaves them empty. */
  generatedOnCreate?: readonly string[];
}

export const ID_FIELD = 'id';

export function idSchema(def: Pick<ResourceDefinition, 'prefix' | 'name'>): z.ZodType<string | null> {
  return z
    .string()
    .transform((v) => v.trim())
    .pipe(
      z
        .string()
        .regex(new RegExp(`^${def.prefix}[0-9A-Za-z]{1,64}$`), `must be a ${def.name} id starting with ${def.prefix}`),
    )
    .nullable();
}

/** The schema each input row is validated against: every field optional (merge semantics). */
export function rowSchema(def: ResourceDefinition): z.ZodObject {
  const shape: Record<string, z.ZodType> = { [ID_FIELD]: idSchema(def).optional() };
  for (const [name, f] of Object.entries(def.fields)) shape[name] = f.schema.optional();
  return z.object(shape);
}

export function referenceTargets(ref: ReferenceSpec): ResourceName[] {
  return typeof ref.target === 'string' ? [ref.target] : [...new Set(Object.values(ref.target.map))];
}
