import { z } from 'zod';

// Zod schemas whose JSON Schema in the OpenAPI document is not what Zod would derive from them:
// query-string values arrive as text and are parsed (a flag "true"/"false", a number), but
// clients should see — and generated clients should send — what they mean.

const documented = new WeakMap<object, Record<string, unknown>>();

/** Validates with `schema`, documents as `json`. */
export function documentAs<T extends z.ZodType>(schema: T, json: Record<string, unknown>): T {
  documented.set(schema, json);
  return schema;
}

/** The JSON Schema documented for a Zod schema by documentAs, if any. */
export function documentedJson(schema: unknown): Record<string, unknown> | undefined {
  return typeof schema === 'object' && schema !== null ? documented.get(schema) : undefined;
}

/** A query-string boolean: `true`/`false` (also 1/0, yes/no), false when absent. */
export function queryFlag(description: string) {
  return documentAs(z.stringbool().default(false), { type: 'boolean', default: false, description });
}

/** A query-string boolean without default (undefined when absent). */
export function optionalQueryFlag(description: string) {
  return documentAs(z.stringbool().optional(), { type: 'boolean', description });
}

/** Epoch seconds in a query string. */
export function epochSecondsQuery(description: string) {
  return documentAs(z.coerce.number().int().min(0).optional(), { type: 'integer', minimum: 0, description });
}
