import { z } from 'zod';
import type { FieldDoc } from './fields.js';
import type { ResourceDefinition } from './resource.js';

// The JSON shape of one stored record of a resource (GET /v1/resources/{name}/records), built
// from the definition's fields and their FieldDocs: named `<Resource>Record` in the OpenAPI
// document. References hold the target's id (or ids).

function valueSchema(doc: FieldDoc): z.ZodType {
  switch (doc.type) {
    case 'string':
      return doc.enum ? z.enum(doc.enum as [string, ...string[]]) : doc.format === 'date' ? z.iso.date() : z.string();
    case 'integer':
      return z.number().int();
    case 'number':
      return z.number();
    case 'object':
      return z.record(z.string(), z.unknown());
    case 'array':
      return z.array(z.string());
  }
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const cache = new Map<string, z.ZodObject>();

export function recordSchema(def: ResourceDefinition): z.ZodObject {
  const hit = cache.get(def.name);
  if (hit) return hit;
  const shape: Record<string, z.ZodType> = {
    id: z.string().describe(`${def.prefix}…`),
    object: z.literal(def.name),
  };
  // Every field may be null: merge and overwrite can clear what create required.
  for (const [name, f] of Object.entries(def.fields)) shape[name] = valueSchema(f.doc).nullable().describe(f.description);
  shape.created_at = z.number().int().describe('Epoch seconds.');
  shape.updated_at = z.number().int().describe('Epoch seconds.');
  const schema = z.object(shape).meta({ id: `${pascal(def.name)}Record`, description: `A ${def.name} record. ${def.description}` });
  cache.set(def.name, schema);
  return schema;
}
