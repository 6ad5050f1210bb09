import { spawn } from 'node:child_process';
import path from 'node:path';
import { prepareHalfFull, rawCopy, sqlMerge } from './baselines.js';
import { locationRows } from './data.js';
import { createHandWrittenTables, dropHandWrittenTables, importContacts, type HandWrittenResult } from './hand-written-importer.js';

// One round of the references the service is measured against, on the same database, file and
// starting data (the half-full table filled from the same `half` file before each merge):
// raw COPY, the SQL merge with and without events, and the hand-written importer with and
// without events. The importer runs as a process of its own, so its peak memory is its own.

const ROOT = path.resolve(import.meta.dirname, '..');

export interface ReferenceRound {
  rawMs: number;
  sqlMs: number;
  sqlEventsMs: number;
  hand: HandWrittenResult;
  handEvents: HandWrittenResult;
}

function handWrittenProcess(url: string, file: string, events: boolean): Promise<HandWrittenResult> {
  const args = ['--import', 'tsx', 'bench/hand-written-importer.ts', '--database-url', url, '--file', file, ...(events ? ['--events'] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)!) as HandWrittenResult);
      else reject(new Error(`hand-written importer exited ${code}: ${err}`));
    });
  });
}

/** hw_contacts holding the rows of `half`, loaded by the importer itself (untimed). */
async function prepareHandWritten(url: string, half: string): Promise<void> {
  await createHandWrittenTables(
    url,
    locationRows().map((l) => ({ code: l.code!, name: l.name! })),
  );
  await importContacts(url, half);
}

export async function referenceRound(url: string, file: string, half: string, log: (name: string, ms: number, note?: string) => void): Promise<ReferenceRound> {
  const rawMs = await rawCopy(url, file);
  log('raw COPY', rawMs);
  await prepareHalfFull(url, half);
  const sqlMs = await sqlMerge(url, file);
  log('SQL merge', sqlMs);
  await prepareHalfFull(url, half);
  const sqlEventsMs = await sqlMerge(url, file, true);
  log('SQL merge + events', sqlEventsMs);
  const note = (r: HandWrittenResult) =>
    `created ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}, rejected ${r.rejected}, events ${r.events}, peak RSS ${r.peakRssMb} MB`;
  try {
    await prepareHandWritten(url, half);
    const hand = await handWrittenProcess(url, file, false);
    log('hand-written importer', hand.ms, note(hand));
    await prepareHandWritten(url, half);
    const handEvents = await handWrittenProcess(url, file, true);
    log('hand-written + events', handEvents.ms, note(handEvents));
    return { rawMs, sqlMs, sqlEventsMs, hand, handEvents };
  } finally {
    await dropHandWrittenTables(url);
  }
}
