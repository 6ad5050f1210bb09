// The format comes from the bytes, never from a file name or Content-Type (both are routinely
// wrong: "export.csv" that is really XLSX, JSON uploaded as application/octet-stream).

import { FileReadError } from './file-read-error.js';
import type { FileFormat } from './row-source.js';
import { decodePrefix, detectEncoding, type TextEncodingName } from './text-encoding.js';

/** How much of the file is looked at to decide format, encoding and CSV dialect. */
export const SNIFF_BYTES = 64 * 1024;

export type Sniffed =
  | { format: 'xlsx' }
  | { format: Exclude<FileFormat, 'xlsx'>; encoding: TextEncodingName; prefixText: string };

const ZIP_LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
// OLE compound file: legacy .xls, and also any password-protected .xlsx (Excel wraps encrypted
// workbooks in one). Reading it as CSV would turn binary into garbage rows, so say what it is.
const OLE_COMPOUND_FILE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export function sniffFormat(prefix: Buffer, isWholeFile: boolean): Sniffed {
  if (prefix.length === 0) throw new FileReadError('unreadable_file', 'The file is empty.');
  if (startsWith(prefix, ZIP_LOCAL_HEADER)) return { format: 'xlsx' };
  if (startsWith(prefix, OLE_COMPOUND_FILE)) {
    throw new FileReadError(
      'unreadable_file',
      'The file is a legacy .xls or a password-protected Excel workbook. Save it as .xlsx without a password, or as CSV.',
    );
  }
  const encoding = detectEncoding(prefix, isWholeFile);
  const prefixText = decodePrefix(prefix, encoding).replace(/^\uFEFF/, '');
  if (looksBinary(prefixText)) {
    throw new FileReadError('unreadable_file', 'The file is not text, XLSX, JSON or NDJSON (it looks like a binary file).');
  }
  const first = /\S/.exec(prefixText)?.[0];
  if (first === undefined && isWholeFile) throw new FileReadError('unreadable_file', 'The file is empty.');
  if (first === '[') return { format: 'json', encoding, prefixText };
  if (first === '{') return { format: 'ndjson', encoding, prefixText };
  return { format: 'csv', encoding, prefixText };
}

function startsWith(buf: Buffer, magic: Buffer): boolean {
  return buf.length >= magic.length && buf.subarray(0, magic.length).equals(magic);
}

// Text formats never contain NUL, and only a handful of other C0 controls at most (a stray
// form feed or Ctrl-Z). Decoded binary is full of them.
function looksBinary(text: string): boolean {
  if (text.includes('\0')) return true;
  const controls = text.match(/[\x01-\x08\x0e-\x1f]/g)?.length ?? 0;
  return controls > 8 && controls > text.length * 0.01;
}
