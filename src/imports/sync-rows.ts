import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import { openRows, parseDataUrl, PARSE_ERROR_KEY, type ReadLimits, type SourceRow } from '../files/index.js';

// The rows of a sync import's `data`: an array of objects, or a base64 data URL of a file. Both
// are bounded by the sync limits (rows and bytes) before anything is written.

export interface SyncRows {
  headers: string[];
  rows: SourceRow[];
  /** sha256 of the data as received: the decoded file bytes, or the JSON text of the array. */
  checksum: string;
  format: string;
}

export interface SyncLimits {
  syncMaxRows: number;
  syncMaxBytes: number;
}

function tooLarge(what: string, limits: SyncLimits): AppError {
  return new AppError(
    'sync_too_large',
    `${what} exceeds the sync limit of ${limits.syncMaxRows} rows or ${limits.syncMaxBytes} bytes. ` +
      'Create the import with upload_mode "async" and PUT the file to its _upload_url.',
    { max_rows: limits.syncMaxRows, max_bytes: limits.syncMaxBytes },
  );
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function checkSyncBytes(bytes: number, limits: SyncLimits): void {
  if (bytes > limits.syncMaxBytes) throw tooLarge(`The file (${bytes} bytes)`, limits);
}

/**
 * `rawData`: the JSON text of an array `data` exactly as the client sent it; the checksum is over
 * its bytes (SPEC: "of the data as received"). Without it (a caller that has only the parsed
 * value), the value is serialised again.
 */
export async function readSyncRows(data: unknown[] | string, limits: SyncLimits, fileLimits: ReadLimits = {}, rawData?: string): Promise<SyncRows> {
  if (Array.isArray(data)) {
    if (data.length > limits.syncMaxRows) throw tooLarge(`data has ${data.length} rows and`, limits);
    const json = rawData ?? JSON.stringify(data);
    if (Buffer.byteLength(json) > limits.syncMaxBytes) throw tooLarge('data', limits);
    const headers = new Set<string>();
    const rows = data.map((v, i): SourceRow => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const k of Object.keys(v)) headers.add(k);
        return { row: i + 1, values: v as Record<string, unknown> };
      }
      const kind = v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
      return { row: i + 1, values: { [PARSE_ERROR_KEY]: `Element ${i + 1} is ${kind}; expected an object of field values.` } };
    });
    return { headers: [...headers], rows, checksum: sha256(json), format: 'json' };
  }
  const bytes = parseDataUrl(data);
  checkSyncBytes(bytes.length, limits);
  const source = await openRows(bytes, fileLimits);
  const rows: SourceRow[] = [];
  try {
    for await (const r of source.rows) {
      if (rows.length >= limits.syncMaxRows) throw tooLarge('The file', limits);
      rows.push(r);
    }
  } finally {
    await source.close();
  }
  return { headers: source.headers, rows, checksum: sha256(bytes), format: source.format };
}
