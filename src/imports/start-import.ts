import { z } from 'zod';
import type { Db } from '../db/db.js';
import type { Actor } from '../domain/actor.js';
import { DUPLICATE_HANDLINGS, type ImportRecord } from '../domain/import.js';
import { AppError } from '../errors.js';
import { startReviewed } from '../lifecycle/transitions.js';
import { checkGivenMapping } from '../resources/column-mapping.js';
import { getResource } from '../resources/index.js';
import { findImport } from './import-store.js';
import { storable } from './create-import-body.js';
import { notAwaitingStart, openStoredFile, requireAwaitingStart, windowClosed, type PreviewDeps } from './preview-import.js';
import { headerList } from '../pipeline/no-valid-rows.js';

// POST /v1/imports/{id}/start: a review import, its file stored and looked at, is queued with
// the choices made after the preview. A column_mapping given here is the complete mapping,
// exactly as at creation (only the headers it names are read); it is checked against the
// resource (unknown field → 400) and against the stored file's headers (a header the file does
// not have → 400), so a bad mapping is refused here rather than failing the import later.

export const StartImportBody = z
  .object({
    column_mapping: z
      .record(storable(z.string()), storable(z.string()))
      .optional()
      .describe('{ field: "Column header" }: the complete mapping to run with (only the headers it names are imported). Omit to run with the mapping the preview shows.'),
    duplicate_handling: z.enum(DUPLICATE_HANDLINGS).optional().describe('Overrides the value given at creation.'),
    allow_mass_delete: z.boolean().optional().describe('Overrides the value given at creation (overwrite only: let cleanup delete more than the configured share).'),
  })
  .strict();

export type StartImportBody = z.infer<typeof StartImportBody>;

export async function startImport(deps: PreviewDeps & { db: Db }, actor: Actor, id: string, body: StartImportBody): Promise<void> {
  const imp = await requireAwaitingStart(deps.db, actor.organizationId, id);
  if (body.column_mapping && Object.keys(body.column_mapping).length > 0) {
    checkGivenMapping(getResource(imp.resource), body.column_mapping);
    await checkHeadersInFile(deps, imp, body.column_mapping);
  }
  const started = await deps.db.transaction((tx) =>
    startReviewed(tx, imp.id, actor.organizationId, actor.apiKeyId, {
      ...(body.column_mapping ? { column_mapping: trimmed(body.column_mapping) } : {}),
      ...(body.duplicate_handling ? { duplicate_handling: body.duplicate_handling } : {}),
      ...(body.allow_mass_delete !== undefined ? { allow_mass_delete: body.allow_mass_delete } : {}),
    }),
  );
  if (started) return;
  // Lost a race (started twice at once, canceled, expired) or its window closed just now.
  const now = await findImport(deps.db, actor.organizationId, id);
  if (!now) throw new AppError('not_found', `No import "${id}" in this organization.`);
  if (now.status === 'requested' && now.review && now.file_key !== null) {
    throw windowClosed(id);
  }
  throw notAwaitingStart(now);
}

const trimmed = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([f, h]) => [f, h.trim()]));

/** Every header the mapping names must be a header of the stored file (as prevalidation reads it). */
async function checkHeadersInFile(deps: PreviewDeps, imp: ImportRecord, mapping: Record<string, string>): Promise<void> {
  const source = await openStoredFile(deps, imp);
  const headers = source.headers;
  await source.close();
  const present = new Set(headers.map((h) => h.trim()));
  const problems = Object.entries(mapping)
    .filter(([, h]) => !present.has(h.trim()))
    .map(([field, h]) => ({ field, message: `header "${h.trim()}" is not in the file; its headers are: ${headerList(headers)}` }));
  if (problems.length > 0) {
    throw new AppError('invalid_column_mapping', `column_mapping is invalid: ${problems.map((p) => p.message).join('; ')}.`, problems);
  }
}
