import { z } from 'zod';
import { unstorableText } from '../resources/fields.js';
import { RESOURCE_NAMES } from '../resources/index.js';

// Text PostgreSQL can store (no NUL, no lone surrogate): anything else is a 400 here rather
// than a database error later.
export const storable = (s: z.ZodString) =>
  s.superRefine((v, ctx) => {
    const bad = unstorableText(v);
    if (bad) ctx.addIssue({ code: 'custom', message: bad });
  });

// The body of POST /v1/imports. Strict: a misspelt option is a 400 naming it, never ignored.
export const CreateImportBody = z
  .object({
    resource: storable(z.string()).describe(`One of: ${RESOURCE_NAMES.join(', ')} (GET /v1/resources).`),
    action: z.enum(['merge', 'overwrite', 'delete']),
    upload_mode: z.enum(['sync', 'async']),
    duplicate_handling: z.enum(['ignore_all', 'use_first']).default('ignore_all'),
    name: storable(z.string().min(3).max(127)).optional(),
    location_id: storable(z.string().min(1).max(200)).optional(),
    column_mapping: z
      .record(storable(z.string()), storable(z.string()))
      .optional()
      .describe('{ field: "Column header" }; header values unique. Omit to map headers automatically.'),
    save_upload: z.boolean().default(true),
    checksum: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" followed by 64 lower-case hex digits')
      .optional(),
    allow_mass_delete: z.boolean().default(false),
    review: z
      .boolean()
      .default(false)
      .describe('Async only: after the upload the import stays `requested` (no phase runs) so its mapping can be checked with GET /v1/imports/{id}/preview; POST /v1/imports/{id}/start runs it.'),
    dry_run: z
      .boolean()
      .default(false)
      .describe(
        'Run every phase and report what a real run would do (stats, phases, row errors, GET /v1/imports/{id}/changes) while changing no record and writing no event.',
      ),
    data: z
      .union([z.array(z.unknown()), z.string()])
      .optional()
      .describe('Sync only: an array of row objects, or a base64 data URL of a CSV/XLSX/JSON file (data:text/csv;base64,…).'),
  })
  .strict();

export type CreateImportBody = z.infer<typeof CreateImportBody>;
