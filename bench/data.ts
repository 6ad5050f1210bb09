import fs from 'node:fs';
import { once } from 'node:events';

// Deterministic benchmark data: contacts naming their locations by code, 10% invalid rows (a
// malformed email), 5% duplicates (a repeated external_id). The same seed gives the same file.

export const LOCATION_COUNT = 100;
export const CONTACT_HEADER = ['external_id', 'name', 'email', 'phone', 'locations'];

/** mulberry32: small, fast, good enough to make reproducible data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function contactRow(i: number, rand: () => number): string[] {
  const dup = rand() < 0.05 && i > 0;
  const n = dup ? Math.floor(rand() * i) : i;
  const invalid = rand() < 0.1;
  return [
    `C${n}`,
    `Person ${n}`,
    invalid ? `person${n}.example.com` : `person${n}@example.com`,
    `+1 555 ${String(n % 10000).padStart(4, '0')}`,
    `L${n % LOCATION_COUNT}`,
  ];
}

/** Writes `rows` contacts as CSV to `file`; returns its size in bytes. */
export async function writeContactsCsv(file: string, rows: number, seed = 42, from = 0): Promise<number> {
  const rand = prng(seed);
  const out = fs.createWriteStream(file);
  out.write(CONTACT_HEADER.join(',') + '\n');
  let chunk = '';
  for (let i = from; i < from + rows; i++) {
    chunk += contactRow(i, rand).join(',') + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return fs.statSync(file).size;
}

/**
 * What the half-full table holds before the merge: the first half of the file's records
 * (C0 … C<rows/2 - 1>), as an earlier import of other values would have left them. Every other
 * record differs from the file (another name, phone and location: the merge updates it), the
 * rest hold the file's values (unchanged); the file's second half is created. All rows valid.
 */
export async function writeHalfFullCsv(file: string, rows: number): Promise<void> {
  const out = fs.createWriteStream(file);
  out.write(CONTACT_HEADER.join(',') + '\n');
  let chunk = '';
  for (let n = 0; n < Math.floor(rows / 2); n++) {
    const other = n % 2 === 1;
    chunk += [
      `C${n}`,
      other ? `Person ${n} (before)` : `Person ${n}`,
      `person${n}@example.com`,
      other ? `+1 555 ${String((n + 1) % 10000).padStart(4, '0')}` : `+1 555 ${String(n % 10000).padStart(4, '0')}`,
      other ? `L${(n + 1) % LOCATION_COUNT}` : `L${n % LOCATION_COUNT}`,
    ].join(',') + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

export function locationRows(): Record<string, string>[] {
  return Array.from({ length: LOCATION_COUNT }, (_, i) => ({
    code: `L${i}`,
    name: `Location ${i}`,
    address_line1: `${i} Main St`,
    city: 'Springfield',
    country: 'US',
  }));
}
