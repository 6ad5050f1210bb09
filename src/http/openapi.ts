import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { Config } from '../config.js';
import { API_ERRORS, type ApiErrorCode } from '../errors.js';
import { EXACT_COUNT_UP_TO } from '../imports/list-page.js';
import { documentedJson } from './openapi-schema.js';
import { EXAMPLES } from './openapi-examples.js';

// The OpenAPI 3.1 document at /openapi.json and its reference at /docs.
//
// Route schemas are Zod; fastify-type-provider-zod turns them into JSON Schema. Schemas given an
// id with `.meta({ id })` become named components and are referenced by `$ref` — which resolves
// only because `transformObject` writes those components into the document (without it, every
// `$ref` pointed at an empty `components.schemas`). finishDocument then completes what routes
// cannot say in a schema: response descriptions, the upload's body, examples; and keeps only the
// components the document uses, each under one name.

type Json = Record<string, unknown>;

/** Zod → JSON Schema adjustments: documentAs overrides, and no empty members in unions. */
function override(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  const anyOf = ctx.jsonSchema.anyOf;
  // As the type provider does by default: an unrepresentable member would be `{}` (anything).
  if (Array.isArray(anyOf)) ctx.jsonSchema.anyOf = anyOf.filter((s) => Object.keys(s as Json).length > 0);
  const doc = documentedJson(ctx.zodSchema);
  if (doc) {
    for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
    Object.assign(ctx.jsonSchema, structuredClone(doc));
  }
}

type ZodToJsonConfig = NonNullable<Parameters<typeof createJsonSchemaTransform>[0]['zodToJsonConfig']>;
const zodToJsonConfig: ZodToJsonConfig = { override: (ctx) => override(ctx) };

const TAGS = [
  { name: 'imports', description: 'Create imports (sync with rows in the request, or async with a file PUT to a signed URL), follow them through their seven phases, read their row errors, cancel them.' },
  { name: 'records', description: "The organization's records of each resource, as imports left them." },
  { name: 'events', description: 'One change event per record created, updated or deleted by an import, with its values before and after.' },
  { name: 'resources', description: 'What can be imported: each resource\'s fields, lookup keys, required fields and references.' },
];

const DESCRIPTION = `Bulk imports of locations, groups, contacts, items and assets: validated, de-duplicated, resolved and merged, overwritten or deleted through seven phases, with every row accounted for.

**Authentication**: \`Authorization: Bearer <api key>\` on every request (\`npm run cli -- keys create --org "Acme"\`), except the signed upload and download URLs, whose signature authenticates them.

**Pagination**: every list answers \`{ data, pagination: { page, limit, has_more, total_count } }\`. Page with \`starting_after\` (the last item's id; a row number for row errors) while \`has_more\`, or back with \`ending_before\`; \`limit\` 1–100 (default 10). \`page\` (OFFSET) still works but deep pages get slower. \`total_count\` is exact up to ${EXACT_COUNT_UP_TO}, the planner's estimate above (then \`total_count_exact: false\` is present), or exact with \`include_total=true\`.

**Errors**: \`{ "error": { "type", "code", "message", "details"? } }\` with the status of its code: 400 (every offending field named in \`details\`), 401, 403 (signed URLs), 404 (also for another organization's import), 409, 413, 414, 422, 429 (with \`Retry-After\`), 5xx.`;

const STATUS_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '400': 'Invalid request: `error.details` names every offending field and what was expected.',
  '401': 'Missing, malformed, unknown or revoked API key.',
  '403': 'The signed URL was tampered with or has expired; nothing was changed.',
  '404': 'No such import in this organization (or its file is gone after the retention period).',
  '409': 'The import is not in a state that allows this (final, or its file was already received).',
  '413': 'Too large: a sync import past SYNC_MAX_ROWS / SYNC_MAX_BYTES (use upload_mode async), or a file past UPLOAD_MAX_BYTES.',
  '422': 'The Idempotency-Key was already used with another request body, or (preview, start) the stored file cannot be read.',
  '429': 'Rate limited (RATE_LIMIT_PER_MINUTE per API key); retry after the seconds in Retry-After.',
  '5XX': 'Internal error or service unavailable; retry the request.',
};

/** The error code each status is shown with when a route gives no example of its own. */
const STATUS_EXAMPLE_CODES: Record<string, ApiErrorCode> = {
  '400': 'invalid_request',
  '401': 'unauthorized',
  '403': 'signature_invalid',
  '404': 'not_found',
  '409': 'invalid_state',
  '413': 'file_too_large',
  '422': 'idempotency_key_reused',
  '429': 'rate_limited',
  '5XX': 'internal',
};

function errorExample(code: ApiErrorCode): Json {
  const e = API_ERRORS[code];
  const body: Json = { type: e.type, code, message: e.message };
  if (code === 'invalid_request') {
    body.message = 'Invalid querystring: limit: Too big: expected number to be <=100';
    body.details = [{ field: 'limit', in: 'querystring', message: 'Too big: expected number to be <=100' }];
  }
  return { [code]: { summary: code, value: { error: body } } };
}

const UPLOAD_MEDIA_TYPES = [
  'application/octet-stream',
  'text/csv',
  'application/json',
  'application/x-ndjson',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
];

function forEachOperation(doc: Json, fn: (op: Json, path: string, method: string) => void): void {
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) if (typeof op === 'object' && op !== null) fn(op as Json, path, method);
  }
}

function collectRefs(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) for (const n of node) collectRefs(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) out.add(v.slice('#/components/schemas/'.length));
      else collectRefs(v, out);
    }
  }
}

function renameRefs(node: unknown, names: Map<string, string>): void {
  if (Array.isArray(node)) for (const n of node) renameRefs(n, names);
  else if (node && typeof node === 'object') {
    const o = node as Json;
    for (const [k, v] of Object.entries(o)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        const to = names.get(v.slice('#/components/schemas/'.length));
        if (to) o[k] = `#/components/schemas/${to}`;
      } else renameRefs(v, names);
    }
  }
}

/**
 * Components the document uses, each once: the type provider emits every registered schema
 * twice (`X` as answered, `XInput` as accepted). An input form identical to its output form is
 * replaced by it; one whose output form is unused takes the plain name; unused ones go.
 */
function tidyComponents(doc: Json): void {
  const components = doc.components as { schemas: Record<string, Json> };
  const schemas = components.schemas;
  const names = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    if (!name.endsWith('Input')) continue;
    const plain = name.slice(0, -'Input'.length);
    if (schemas[plain] && JSON.stringify(schemas[plain]) === JSON.stringify(schemas[name])) names.set(name, plain);
  }
  renameRefs(doc, names);
  const used = new Set<string>();
  const { components: _skip, ...rest } = doc;
  collectRefs(rest, used);
  for (let grew = true; grew; ) {
    grew = false;
    for (const name of [...used]) {
      const before = used.size;
      collectRefs(schemas[name], used);
      if (used.size > before) grew = true;
    }
  }
  const renames = new Map<string, string>();
  for (const name of used) {
    if (name.endsWith('Input') && !used.has(name.slice(0, -'Input'.length))) renames.set(name, name.slice(0, -'Input'.length));
  }
  renameRefs(doc, renames);
  const kept: Record<string, Json> = {};
  for (const name of [...used].sort()) kept[renames.get(name) ?? name] = schemas[name]!;
  components.schemas = kept;
}

/**
 * Request bodies state their defaults in words: generators read `default` as "always present"
 * (openapi-typescript's defaultNonNullable), which would make every defaulted option of a
 * request required in generated clients.
 */
function defaultsIntoDescriptions(schema: Json | undefined): void {
  const properties = (schema?.properties ?? {}) as Record<string, Json>;
  for (const p of Object.values(properties)) {
    if (!('default' in p)) continue;
    const said = `Default: \`${JSON.stringify(p.default)}\`.`;
    p.description = p.description ? `${String(p.description)} ${said}` : said;
    delete p.default;
  }
}

/** What the route schemas cannot say themselves. */
function finishDocument(doc: Json): Json {
  forEachOperation(doc, (op) => {
    const responses = (op.responses ?? {}) as Record<string, Json>;
    for (const [status, response] of Object.entries(responses)) {
      if (!response.description || response.description === 'Default Response') response.description = STATUS_DESCRIPTIONS[status] ?? 'Answer';
      const media = (response.content as Record<string, Json> | undefined)?.['application/json'];
      const code = STATUS_EXAMPLE_CODES[status];
      if (media && code && !media.examples) media.examples = errorExample(code);
      if (status === '429') {
        response.headers = { 'Retry-After': { description: 'Seconds until the limit resets.', schema: { type: 'integer' } } };
      }
    }
    if (op.operationId === 'uploadImportFile') {
      op.requestBody = {
        required: true,
        description:
          "The file's bytes: CSV (`,` `;` tab `|`; UTF-8, UTF-16 with BOM, Windows-1252), XLSX (first sheet), a JSON array of objects or NDJSON. The format is read from the content; Content-Type is not used.",
        content: Object.fromEntries(UPLOAD_MEDIA_TYPES.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }])),
      };
    }
    // Its body is optional (a start without one keeps the choices made at creation); the
    // schema generator marks every body required.
    if (op.operationId === 'startImport' && op.requestBody) (op.requestBody as Json).required = false;
    for (const media of Object.values(((op.requestBody as Json | undefined)?.content ?? {}) as Record<string, Json>)) {
      const ref = (media.schema as Json | undefined)?.$ref;
      const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
      defaultsIntoDescriptions(typeof ref === 'string' ? schemas[ref.replace('#/components/schemas/', '')] : (media.schema as Json | undefined));
    }
    const examples = EXAMPLES[String(op.operationId)];
    if (examples?.request) {
      const media = ((op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined)?.['application/json'];
      if (media) media.examples = examples.request;
    }
    for (const [status, ex] of Object.entries(examples?.responses ?? {})) {
      const media = (responses[status]?.content as Record<string, Json> | undefined)?.['application/json'];
      if (media) media.examples = ex;
    }
  });
  tidyComponents(doc);
  return doc;
}

export async function registerOpenApi(app: FastifyInstance, config: Readonly<Config>): Promise<void> {
  const transformObject = createJsonSchemaTransformObject({ zodToJsonConfig });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Imports API', version: '1.0.0', description: DESCRIPTION },
      servers: [
        config.publicUrl
          ? { url: config.publicUrl.replace(/\/+$/, ''), description: 'This service (PUBLIC_URL)' }
          : { url: `http://localhost:${config.port}`, description: 'This service, run locally (npm start)' },
      ],
      tags: TAGS,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: sk_…' } } },
      security: [{ bearer: [] }],
    },
    transform: createJsonSchemaTransform({ zodToJsonConfig }),
    transformObject: (input) => finishDocument(transformObject(input) as unknown as Json) as never,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { defaultModelsExpandDepth: 1, docExpansion: 'list' } });
}
