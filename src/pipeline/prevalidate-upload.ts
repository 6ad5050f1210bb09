import type { Queryable } from '../db/db.js';
import { ImportFailure } from '../errors.js';
import { FileReadError, openRows, type OpenedRowSource, type SourceRow } from '../files/index.js';
import { ColumnMapper } from '../resources/column-mapping.js';
import { markPhaseRunning, setPhaseProgress } from '../lifecycle/phase-progress.js';
import type { ImportRecord } from '../domain/import.js';
import { getResource } from '../resources/index.js';
import { StorageNotFound, type Storage } from '../storage/storage.js';
import { completePrevalidation, createPrevalidator, type PreparedBatch, type Prevalidator } from './prevalidation.js';
import { batchRowsFor } from './chunked-phase.js';
import { noValidRowsFailure } from './no-valid-rows.js';
import { fence } from '../lifecycle/fencing.js';
import { analyzeWorkingRows } from '../staging/working-rows.js';
import type { RunDeps } from './phase.js';

// Phase 1 for async imports, in the worker: the uploaded file streams from storage through the
// reader (format sniffed from the bytes), the column mapper and the Zod schema, and is staged
// in batches of BATCH_ROWS. Each batch commits in its own fenced transaction together with the
// phase's progress, so a run that dies resumes after the last committed batch: the rows it
// already staged are read past (and only shown to the mapper), never staged twice.

export type PrevalidateDeps = Pick<RunDeps, 'db' | 'config' | 'storage'>;

const POSITION = 0;

interface Resume {
  /** Highest row number already staged (0 = none). */
  lastRow: number;
  processed: number;
  error: number;
}

export async function prevalidateUpload(deps: PrevalidateDeps, imp: ImportRecord): Promise<void> {
  const { db, config, storage } = deps;
  if (!imp.file_key) throw new ImportFailure('unreadable_file', 'no uploaded file is recorded for this import');
  const def = getResource(imp.resource);
  const resume = await db.transaction(async (tx) => {
    await fence(tx, imp);
    const state = await resumePoint(tx, imp.id);
    await markPhaseRunning(tx, imp.id, POSITION, state.processed);
    return state;
  });

  let source: OpenedRowSource;
  try {
    source = await openRows(await storage.get(imp.file_key), config.fileLimits);
  } catch (err) {
    throw await finalFailure(storage, imp.file_key, err);
  }
  const mapper = new ColumnMapper(def, imp.column_mapping);
  const batchRows = batchRowsFor(db, config);
  let { processed, error } = resume;
  const stage = async (batch: PreparedBatch, pre: Prevalidator) => {
    await db.transaction(async (tx) => {
      await fence(tx, imp);
      await pre.stage(tx, batch);
      await setPhaseProgress(tx, imp.id, POSITION, processed + batch.rows, error + batch.removed);
    });
    processed += batch.rows;
    error += batch.removed;
  };
  // One batch is staged while the next is read, validated and encoded: its COPY runs in
  // Postgres while this process works on. Batches still commit one at a time and in order, so
  // "everything up to the highest staged row" stays the resume point.
  let staging: Promise<void> = Promise.resolve();
  const stageNext = async (batch: SourceRow[], pre: Prevalidator) => {
    const prepared = pre.prepare(batch);
    await staging;
    staging = stage(prepared, pre);
    staging.catch(() => undefined); // awaited before the next batch or at the end
  };
  try {
    mapper.checkHeaders(source.headers);
    const pre = createPrevalidator({ importId: imp.id, def, mapper, locationId: imp.location_id });
    let batch: SourceRow[] = [];
    for await (const r of source.rows) {
      if (r.row <= resume.lastRow) {
        // Staged by an earlier attempt. JSON rows can bring new keys, and which header claims a
        // field depends on the order they are seen in, so the mapper still sees them.
        for (const k of Object.keys(r.values)) mapper.fieldOf(k);
        continue;
      }
      batch.push(r);
      if (batch.length >= batchRows) {
        await stageNext(batch, pre);
        batch = [];
      }
    }
    if (batch.length > 0) await stageNext(batch, pre);
    await staging;
  } catch (err) {
    await staging.catch(() => undefined); // never leave a batch's transaction running behind us
    throw await finalFailure(storage, imp.file_key, err);
  } finally {
    await source.close();
  }

  // Statistics of the staged rows, for the phases after (a resumed run gathers them again).
  await analyzeWorkingRows(db);
  await db.transaction(async (tx) => {
    await fence(tx, imp);
    await completePrevalidation(tx, imp.id, { total: processed, error, mapper, headers: source.headers, format: source.format });
  });
  // The rows now live in import_rows (raw, as uploaded), which the downloads are written from;
  // the uploaded bytes are not needed any more, whatever save_upload says.
  await storage.delete(imp.file_key);
  if (processed === 0) throw new ImportFailure('no_valid_rows', 'the file has no data rows');
  if (processed - error === 0) throw await noValidRowsFailure(db, imp.id, `all ${processed} rows are invalid`);
}

async function resumePoint(tx: Queryable, importId: string): Promise<Resume> {
  const res = await tx.query<Resume>(
    `SELECT coalesce((SELECT max(row) FROM import_rows WHERE import_id = $1), 0)::int AS "lastRow",
       p.processed, p.error
     FROM import_phases p WHERE p.import_id = $1 AND p.position = $2`,
    [importId, POSITION],
  );
  return res.rows[0] ?? { lastRow: 0, processed: 0, error: 0 };
}

/**
 * A problem with the file itself ends the import (no retry can help): the uploaded bytes are
 * deleted now, since no attempt will read them again. Anything else (storage or database
 * trouble) is rethrown as is, and the worker retries with the file still there.
 */
async function finalFailure(storage: Storage, key: string, err: unknown): Promise<unknown> {
  let failure: ImportFailure | null = null;
  if (err instanceof FileReadError) failure = new ImportFailure(err.code, err.message);
  else if (err instanceof ImportFailure) failure = err;
  else if (err instanceof StorageNotFound) {
    failure = new ImportFailure('unreadable_file', 'the uploaded file is no longer in storage; create a new import');
  }
  if (!failure) return err;
  await storage.delete(key).catch(() => undefined);
  return failure;
}
