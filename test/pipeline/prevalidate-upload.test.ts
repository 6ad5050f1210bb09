import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/storage.js';
import { Runner } from '../../src/worker/runner.js';
import { startService, statsAddUp, type TestService } from '../support/service.js';
import { createAsync, put, uploadAndSettle } from '../support/uploads.js';

// Worker prevalidation of an uploaded file resumes where it stopped: a run that dies half way
// through the file (here: the storage stream breaks) leaves its committed batches, and the next
// attempt stages only the rows after them — each batch committed exactly once, and the result
// identical to an uninterrupted run.

let svc: TestService;
const silent = { info() {}, warn() {}, error() {} };

beforeAll(async () => {
  svc = await startService({ BATCH_ROWS: '100' });
});
afterAll(async () => svc?.close());

function bigCsv(): string {
  const lines = ['External ID,Name,Email'];
  for (let i = 1; i <= 2000; i++) {
    const email = i % 97 === 0 ? 'not-an-email' : `person${i}@example.com`;
    lines.push(`P${i % 1500 === 0 ? 1 : i},Person number ${i} with a fairly long name to fill the file,${email}`);
  }
  return lines.join('\n') + '\n';
}

/** Storage whose first read breaks after `bytes`, in small pieces so rows are staged before it. */
function breakingOnce(inner: Storage, bytes: number): Storage & { broke: boolean } {
  const s = Object.create(inner) as Storage & { broke: boolean };
  s.broke = false;
  s.get = async (key) => {
    const src = await inner.get(key);
    if (s.broke) return src;
    s.broke = true;
    return Readable.from(
      (async function* () {
        let seen = 0;
        for await (const chunk of src as AsyncIterable<Buffer>) {
          for (let i = 0; i < chunk.length; i += 4096) {
            const piece = chunk.subarray(i, i + 4096);
            if (seen + piece.length > bytes) throw Object.assign(new Error('connection reset by storage'), { code: 'ECONNRESET' });
            seen += piece.length;
            yield piece;
          }
        }
      })(),
      { objectMode: false },
    );
  };
  return s;
}

it('resumes after the last committed batch and ends exactly like an uninterrupted run', async () => {
  const csv = bigCsv();
  expect(csv.length).toBeGreaterThan(150_000);

  const referenceKey = await svc.newOrg();
  const reference = await uploadAndSettle(svc, referenceKey, csv);
  expect(reference.status).toBe('completed');
  expect(statsAddUp(reference.stats)).toBe(true);

  const key = await svc.newOrg();
  const created = await createAsync(svc, key);
  expect((await put(svc, created._upload_url, csv)).status).toBe(200);
  const storage = breakingOnce(svc.storage, 120_000);
  const config = { ...svc.config, batchRows: 100 };
  await new Runner({ db: svc.db, config, storage, log: silent }).drain();
  expect(storage.broke).toBe(true);

  const mid = await svc.call('GET', `/v1/imports/${created.id}`, key);
  expect(mid.body.status).toBe('queued'); // put back for a retry
  const pre = mid.body.phases[0];
  expect(pre.status).toBe('running');
  expect(pre.processed).toBeGreaterThan(0);
  expect(pre.processed).toBeLessThan(2000);
  expect(pre.processed % 100).toBe(0); // whole batches only
  const staged = await svc.db.query<{ n: number; max: number }>('SELECT count(*)::int AS n, max(row)::int AS max FROM import_rows WHERE import_id = $1', [created.id]);
  expect(staged.rows[0]).toEqual({ n: pre.processed, max: pre.processed });

  // Retry now instead of after the back-off.
  await svc.db.query('UPDATE imports SET run_after = now() WHERE id = $1', [created.id]);
  await new Runner({ db: svc.db, config, storage, log: silent }).drain();
  const done = (await svc.call('GET', `/v1/imports/${created.id}`, key)).body;
  expect(done.status).toBe('completed');
  expect(done.stats).toEqual(reference.stats);
  expect(done.phases[0]).toMatchObject({ status: 'completed', total: 2000, processed: 2000, error: reference.phases[0].error });
  expect(done.column_mapping).toEqual(reference.column_mapping);
  const errorsOf = async (id: string, k: string) => (await svc.call('GET', `/v1/imports/${id}/errors?limit=100`, k)).body.data.map((e: any) => [e.row, e.code]);
  expect(await errorsOf(done.id, key)).toEqual(await errorsOf(reference.id, referenceKey));
});
