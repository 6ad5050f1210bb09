import { z } from 'zod';
import { referenceTargets, rowSchema, type ResourceDefinition } from './resource.js';

// GET /v1/resources/{name}: a definition as clients see it, with the JSON Schema of an input row.

export const ResourceView = z
  .object({
    name: z.string(),
    object: z.literal('resource'),
    description: z.string(),
    id_prefix: z.string(),
    lookup_keys: z.array(z.string()),
    required_to_create: z.array(z.string()),
    references: z.array(z.object({ field: z.string(), many: z.boolean(), targets: z.array(z.string()), target_by: z.string().nullable() })),
    location_field: z.string().nullable(),
    json_schema: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Resource' });

const cache = new Map<string, z.infer<typeof ResourceView>>();

export function describeResource(def: ResourceDefinition): z.infer<typeof ResourceView> {
  const hit = cache.get(def.name);
  if (hit) return hit;
  const schema = rowSchema(def);
  const properties: Record<string, z.ZodType> = {};
  for (const [k, f] of Object.entries(def.fields)) properties[k] = (schema.shape[k] as z.ZodType).describe(f.description);
  const json = z.toJSONSchema(schema.extend(properties), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const view = {
    name: def.name,
    object: 'resource' as const,
    description: def.description,
    id_prefix: def.prefix,
    lookup_keys: [...def.lookupKeys],
    required_to_create: [...def.requiredToCreate],
    references: def.references.map((r) => ({
      field: r.field,
      many: r.many,
      targets: referenceTargets(r),
      target_by: typeof r.target === 'string' ? null : r.target.by,
    })),
    location_field: def.locationField ?? null,
    json_schema: json,
  };
  cache.set(def.name, view);
  return view;
}
