import { z } from 'zod';
import type { FieldDoc } from './fields.js';
import { ID_FIELD, referenceTargets, type ResourceDefinition } from './resource.js';

// GET /v1/resources/{name}: a definition as clients see it. Every part is read from the
// definition that also drives mapping, validation and the phases' SQL: each field's type, format,
// enum and limits from its FieldDoc (set by the same factory call as its Zod schema), its roles
// from lookupKeys, requiredToCreate and references.

const FieldType = z.enum(['string', 'integer', 'number', 'object', 'array']).meta({ id: 'FieldType' });

export const ResourceReferenceView = z
  .object({
    field: z.string(),
    many: z.boolean().describe('Holds several records (comma-separated in CSV, an array in JSON).'),
    targets: z.array(z.string()).describe('The resource(s) referenced.'),
    target_by: z.string().nullable().describe('For a reference whose target depends on another field of the row (group.children, by type): that field.'),
  })
  .meta({ id: 'ResourceReference', description: 'A field that references records of another resource, by id or by any of its lookup keys.' });

export const ResourceFieldView = z
  .object({
    name: z.string(),
    description: z.string(),
    type: FieldType,
    format: z.string().nullable().describe('email, date (YYYY-MM-DD), iso-3166-1-alpha-2, iso-4217, iana-time-zone, or null.'),
    enum: z.array(z.string()).nullable().describe('The accepted values (compared case-insensitively on import), or null.'),
    max_length: z.number().int().nullable(),
    minimum: z.number().nullable(),
    max_items: z.number().int().nullable(),
    lookup_key: z.boolean().describe('Rows can name an existing record by this field (tried in the order of lookup_keys).'),
    unique: z.boolean().describe('Unique per organization.'),
    required_to_create: z.boolean().describe('A row that creates a record must give it.'),
    generated_on_create: z.boolean().describe('Generated when a row that creates a record leaves it empty.'),
    reference: ResourceReferenceView.nullable(),
  })
  .meta({ id: 'ResourceField', description: 'One importable field of a resource.' });

export const ResourceView = z
  .object({
    name: z.string(),
    object: z.literal('resource'),
    description: z.string(),
    id_prefix: z.string(),
    lookup_keys: z.array(z.string()).describe('Fields by which a row names an existing record, tried in this order after `id`.'),
    required_to_create: z.array(z.string()),
    references: z.array(ResourceReferenceView),
    location_field: z.string().nullable().describe('For resources tied to a location: the field that defaults to the import\'s location_id.'),
    fields: z.array(ResourceFieldView),
    json_schema: z.record(z.string(), z.unknown()).describe('JSON Schema (2020-12) of one row after column mapping, by field, in the types stored (import also accepts spreadsheet forms: " 42 " for 42, yes/no, …).'),
  })
  .meta({ id: 'Resource', description: 'An importable resource: its fields, lookup keys, required fields and references.' });

export type ResourceView = z.infer<typeof ResourceView>;

/** A FieldDoc as JSON Schema, null allowed (JSON null clears a value on merge). */
function fieldJsonSchema(doc: FieldDoc, description: string): Record<string, unknown> {
  return {
    type: [doc.type, 'null'],
    ...(doc.format ? { format: doc.format } : {}),
    ...(doc.enum ? { enum: [...doc.enum, null] } : {}),
    ...(doc.maxLength !== undefined ? { maxLength: doc.maxLength } : {}),
    ...(doc.minimum !== undefined ? { minimum: doc.minimum } : {}),
    ...(doc.type === 'array' ? { items: { type: 'string' } } : {}),
    ...(doc.maxItems !== undefined ? { maxItems: doc.maxItems } : {}),
    description,
  };
}

const cache = new Map<string, ResourceView>();

export function describeResource(def: ResourceDefinition): ResourceView {
  const hit = cache.get(def.name);
  if (hit) return hit;
  const references = def.references.map((r) => ({
    field: r.field,
    many: r.many,
    targets: referenceTargets(r),
    target_by: typeof r.target === 'string' ? null : r.target.by,
  }));
  const fields = Object.entries(def.fields).map(([name, f]) => ({
    name,
    description: f.description,
    type: f.doc.type,
    format: f.doc.format ?? null,
    enum: f.doc.enum ? [...f.doc.enum] : null,
    max_length: f.doc.maxLength ?? null,
    minimum: f.doc.minimum ?? null,
    max_items: f.doc.maxItems ?? null,
    lookup_key: def.lookupKeys.includes(name),
    unique: name === 'external_id',
    required_to_create: def.requiredToCreate.includes(name),
    generated_on_create: def.generatedOnCreate?.includes(name) ?? false,
    reference: references.find((r) => r.field === name) ?? null,
  }));
  const properties: Record<string, unknown> = {
    [ID_FIELD]: { type: ['string', 'null'], pattern: `^${def.prefix}[0-9A-Za-z]{1,64}$`, description: `The record's id (${def.prefix}…): names an existing record.` },
  };
  for (const [name, f] of Object.entries(def.fields)) properties[name] = fieldJsonSchema(f.doc, f.description);
  const view: ResourceView = {
    name: def.name,
    object: 'resource',
    description: def.description,
    id_prefix: def.prefix,
    lookup_keys: [...def.lookupKeys],
    required_to_create: [...def.requiredToCreate],
    references,
    location_field: def.locationField ?? null,
    fields,
    json_schema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: `${def.name} row`,
      type: 'object',
      properties,
    },
  };
  cache.set(def.name, view);
  return view;
}
