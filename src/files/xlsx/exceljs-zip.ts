// exceljs's streaming reader reads a zip front to back and expects fixed part names; when the
// worksheet comes before the shared strings (as in files Excel writes) it spools the sheet to
// its own temp file. So it is not given the upload itself but a zip rebuilt for it: only the
// parts it needs, in the order it needs them, under the names it expects, with sizes in the
// local headers (no data descriptors to scan for). Compressed data is copied, not re-inflated.

import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { RandomAccess } from './random-access.js';
import { tooBig, type ZipEntry } from './zip-directory.js';
import { entryDataRange } from './zip-entries.js';
import type { WorkbookParts } from './workbook-parts.js';

type Part = { name: string; entry: ZipEntry } | { name: string; content: Buffer };

const NS = 'http://schemas.openxmlformats.org/';
// exceljs only reads a sheet in stream (without a temp file) once it has seen both of these.
// The real relationships are not needed (they were already followed in workbook-parts.ts).
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const RELS = Buffer.from(
  `${XML_DECLARATION}<Relationships xmlns="${NS}package/2006/relationships">` +
    `<Relationship Id="rId1" Type="${NS}officeDocument/2006/relationships/worksheet"` +
    ' Target="worksheets/sheet1.xml"/></Relationships>',
);
const EMPTY_SHARED_STRINGS = Buffer.from(
  `${XML_DECLARATION}<sst xmlns="${NS}spreadsheetml/2006/main" count="0" uniqueCount="0"/>`,
);

export interface ExcelJsZip {
  stream: Readable;
  /** Why the stream ended early, if it did (the reader then fails with a generic unzip error). */
  failure(): unknown;
}

export function excelJsZip(file: RandomAccess, parts: WorkbookParts): ExcelJsZip {
  const list: Part[] = [
    { name: 'xl/_rels/workbook.xml.rels', content: RELS },
    { name: 'xl/workbook.xml', entry: parts.workbook },
    parts.sharedStrings
      ? { name: 'xl/sharedStrings.xml', entry: parts.sharedStrings }
      : { name: 'xl/sharedStrings.xml', content: EMPTY_SHARED_STRINGS },
    ...(parts.styles ? [{ name: 'xl/styles.xml', entry: parts.styles }] : []),
    { name: 'xl/worksheets/sheet1.xml', entry: parts.sheet },
  ];
  let failure: unknown;
  // exceljs pipes this stream without listening for its errors: an 'error' event would be
  // uncaught and the reader would wait forever. So a failure ends the stream early instead;
  // the unzipper then fails ("FILE_ENDED"), and the caller reports `failure()` in its place.
  async function* guarded(): AsyncGenerator<Buffer> {
    try {
      yield* zipBytes(file, list);
    } catch (err) {
      failure = err;
    }
  }
  return { stream: Readable.from(guarded(), { objectMode: false }), failure: () => failure };
}

async function* zipBytes(file: RandomAccess, parts: Part[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if ('content' in part) {
      yield localHeader(part.name, 0, crc32(part.content), part.content.length, part.content.length);
      yield part.content;
    } else {
      const { entry } = part;
      const { start, length } = await entryDataRange(file, entry);
      yield localHeader(part.name, entry.method, entry.crc32, entry.compressedSize, entry.uncompressedSize);
      yield* file.chunks(start, length);
    }
  }
  // An empty end-of-central-directory record lets the unzipper finish cleanly.
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  yield end;
}

function localHeader(name: string, method: number, crc: number, compressedSize: number, uncompressedSize: number): Buffer {
  // Without ZIP64 fields the sizes must fit in 32 bits; parts that large exceed any sane limit.
  if (compressedSize >= 0xffffffff || uncompressedSize >= 0xffffffff) throw tooBig(0xfffffffe);
  const nameBytes = Buffer.from(name, 'utf8');
  const h = Buffer.alloc(30 + nameBytes.length);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
  h.writeUInt16LE(0x0800, 6); // flags: UTF-8 name; no data descriptor
  h.writeUInt16LE(method, 8);
  h.writeUInt32LE(crc >>> 0, 14); // time and date (10–13) stay zero
  h.writeUInt32LE(compressedSize, 18);
  h.writeUInt32LE(uncompressedSize, 22);
  h.writeUInt16LE(nameBytes.length, 26);
  nameBytes.copy(h, 30);
  return h;
}
