// Run as its own process (`node --import tsx test/support/read-peak.ts FILE`): reads FILE with
// openRows and the default limits, and prints what came of it and the process's peak resident
// memory (VmHWM), so a test can measure what a reader costs without its own heap in the way.

import { createReadStream, readFileSync } from 'node:fs';
import { openRows } from '../../src/files/open-rows.js';

const file = process.argv[2]!;
let rows = 0;
let error: { code?: string; message: string } | undefined;
try {
  const source = await openRows(createReadStream(file));
  for await (const _ of source.rows) rows++;
} catch (err) {
  error = { code: (err as { code?: string }).code, message: (err as Error).message };
}
const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ rows, error, peakRssBytes: peak ? Number(peak[1]) * 1024 : null }) + '\n');
