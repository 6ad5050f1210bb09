// Fixtures are built in code (no binary files in the repo): encodings by Buffer manipulation,
// spreadsheets with exceljs's writer, and hand-made zips where the test needs to control the
// bytes exactly (entry order, declared sizes).

import { Readable } from 'node:stream';
import { crc32, deflateRawSync } from 'node:zlib';
import { expect } from 'vitest';
import { FileReadError, type FileReadErrorCode } from '../../src/files/file-read-error.js';
import { openRows, type ReadLimits, type SourceRow } from '../../src/files/open-rows.js';

/**
 * Every row as { row, values }. The rows' `line` is left out here, so the readers' tests state
 * rows and values only; test/files/row-lines.test.ts checks lines (readWithLines).
 */
export async function readAll(
  input: NodeJS.ReadableStream | Buffer | string,
  limits?: ReadLimits,
): Promise<{ format: string; headers: string[]; rows: SourceRow[] }> {
  const read = await readWithLines(input, limits);
  return { ...read, rows: read.rows.map(withoutLine) };
}

export async function readWithLines(
  input: NodeJS.ReadableStream | Buffer | string,
  limits?: ReadLimits,
): Promise<{ format: string; headers: string[]; rows: SourceRow[] }> {
  const source = await openRows(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, limits);
  const rows: SourceRow[] = [];
  for await (const row of source.rows) rows.push(row);
  return { format: source.format, headers: source.headers, rows };
}

function withoutLine({ line: _line, ...rest }: SourceRow): SourceRow {
  return rest;
}

/** Reads until the rows iterator throws; returns the rows before the error and the error. */
export async function readUntilError(input: Buffer | NodeJS.ReadableStream, limits?: ReadLimits): Promise<{ rows: SourceRow[]; error: unknown }> {
  const source = await openRows(input, limits);
  const rows: SourceRow[] = [];
  try {
    for await (const row of source.rows) rows.push(withoutLine(row));
  } catch (error) {
    return { rows, error };
  }
  throw new Error(`expected the rows iterator to throw; it yielded ${rows.length} rows`);
}

export function expectFileReadError(error: unknown, code: FileReadErrorCode, message?: string | RegExp): void {
  expect(error).toBeInstanceOf(FileReadError);
  expect((error as FileReadError).code).toBe(code);
  if (typeof message === 'string') expect((error as Error).message).toBe(message);
  else if (message) expect((error as Error).message).toMatch(message);
}

export async function openError(input: Buffer | NodeJS.ReadableStream | string, limits?: ReadLimits): Promise<unknown> {
  try {
    await readAll(input, limits);
  } catch (error) {
    return error;
  }
  throw new Error('expected openRows or the rows iterator to throw');
}

export function utf16le(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

export function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
}

/** A stream that delivers `buf` in pieces of `size` bytes, to cut characters and lines apart. */
export function chunked(buf: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) pieces.push(buf.subarray(i, i + size));
  return Readable.from(pieces);
}

export interface ZipInput {
  name: string;
  data: Buffer | string;
  /** 8 = deflate (default), 0 = stored. */
  method?: 0 | 8;
  /** Lie about the uncompressed size in the headers. */
  declaredSize?: number;
  /** `data` is already deflated (method 8): the size and CRC of what it inflates to. */
  precompressed?: { size: number; crc: number };
}

/** A plain zip (no data descriptors, no ZIP64) with entries in exactly the given order. */
export function buildZip(entries: ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data;
    const method = e.method ?? 8;
    const stored = e.precompressed ? data : method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(e.name, 'utf8');
    const size = e.declaredSize ?? e.precompressed?.size ?? data.length;
    const crc = e.precompressed?.crc ?? crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG = 'http://schemas.openxmlformats.org/package/2006/relationships';

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A minimal XLSX written by hand, laid out like Excel's own files: the worksheet comes before
 * the shared strings. Strings are shared; numbers are plain. `sheetPath` lets the sheet live
 * under a non-standard name (only the relationships say where it is).
 */
export function handMadeXlsx(rows: (string | number | null)[][], options: { sheetPath?: string; trailingSpaces?: number; declaredSheetSize?: number } = {}): Buffer {
  const sheetPath = options.sheetPath ?? 'worksheets/sheet1.xml';
  const strings: string[] = [];
  const sheetRows = rows
    .map((cells, r) => {
      const xmlCells = cells
        .map((v, c) => {
          const ref = `${String.fromCharCode(65 + c)}${r + 1}`;
          if (v === null) return '';
          if (typeof v === 'number') return `<c r="${ref}"><v>${v}</v></c>`;
          strings.push(v);
          return `<c r="${ref}" t="s"><v>${strings.length - 1}</v></c>`;
        })
        .join('');
      return xmlCells ? `<row r="${r + 1}">${xmlCells}</row>` : '';
    })
    .join('');
  const sheet = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}"><sheetData>${sheetRows}</sheetData></worksheet>` + ' '.repeat(options.trailingSpaces ?? 0);
  const sst = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}" count="${strings.length}" uniqueCount="${strings.length}">${strings.map((s) => `<si><t xml:space="preserve">${escapeXml(s)}</t></si>`).join('')}</sst>`;
  return buildZip([
    { name: '[Content_Types].xml', data: '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' },
    { name: '_rels/.rels', data: `<?xml version="1.0"?><Relationships xmlns="${PKG}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>` },
    { name: 'xl/workbook.xml', data: `<?xml version="1.0"?><workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>` },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: `<?xml version="1.0"?><Relationships xmlns="${PKG}"><Relationship Id="rId1" Type="${REL}/worksheet" Target="${sheetPath}"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    },
    { name: `xl/${sheetPath}`, data: sheet, declaredSize: options.declaredSheetSize },
    { name: 'xl/sharedStrings.xml', data: sst },
  ]);
}
