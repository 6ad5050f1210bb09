import ExcelJS from 'exceljs';

// One small set of contacts, written out the ways people export it: CSV in every dialect and
// encoding the service reads, XLSX, a JSON array and NDJSON. Made by code, so the suite carries
// no binary fixtures. The rows exercise what differs between formats: accents and the euro sign
// (encodings), a quoted field with a line break, delimiters inside values, a formula-looking
// cell, an invalid row, and two rows naming the same record.

export const HEADERS = ['External ID', 'Full Name', 'E-mail Address', 'Phone', 'Notes'] as const;

export const CONTACT_ROWS: string[][] = [
  ['C1', 'Zoë Müller', 'zoe@example.com', '+49 30 1234', 'Line one\nLine two'],
  ['C2', 'José Núñez', 'JOSE@Example.com', '', 'Paid 12,50 € on 1;2|3'],
  ['C3', 'Bad Email', 'not-an-email', '555', ''],
  ['C4', 'François "Frank" Dupont', 'frank@example.com', '', 'quoted "words"'],
  ['C5', '=HYPERLINK("http://evil.example","x")', 'formula@example.com', '-1', '@SUM(A1)'],
  ['C6', 'Dup A', 'dup@example.com', '', ''],
  ['C6', 'Dup B', 'dup2@example.com', '', ''],
  ['C7', 'Ørjan Æsir', 'orjan@example.com', '0049', 'last row'],
];

/** What these rows must import as (merge into an empty organization, ignore_all). */
export const EXPECTED_STATS = { total: 8, created: 5, updated: 0, unchanged: 0, deleted: 0, duplicates: 2, errors: 1 };
/** [row, code] of every row error: the same row numbers a person sees in any of the files. */
export const EXPECTED_ERRORS = [
  [3, 'invalid_value'],
  [6, 'duplicate'],
  [7, 'duplicate'],
];

export function csvText(delimiter: string, newline = '\n', headers: readonly string[] = HEADERS, rows = CONTACT_ROWS): string {
  const cell = (v: string) => (v.includes('"') || v.includes(delimiter) || /[\r\n]/.test(v) || v.includes(',') ? `"${v.replace(/"/g, '""')}"` : v);
  return [headers, ...rows].map((r) => r.map(cell).join(delimiter)).join(newline) + newline;
}

export function withUtf8Bom(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

export function utf16le(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

export function utf16be(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
}

/** Windows-1252: Latin-1 plus the 0x80–0x9F block, of which the euro sign is the one used here. */
export function windows1252(text: string): Buffer {
  const bytes = [...text].map((ch) => {
    if (ch === '€') return 0x80;
    const code = ch.codePointAt(0)!;
    if (code > 0xff) throw new Error(`not in Windows-1252: ${ch}`);
    return code;
  });
  return Buffer.from(bytes);
}

function objects(rows = CONTACT_ROWS): Record<string, string>[] {
  return rows.map((r) => Object.fromEntries(HEADERS.map((h, i) => [h, r[i] ?? ''])));
}

export function jsonArray(): Buffer {
  return Buffer.from(JSON.stringify(objects(), null, 2));
}

export function ndjson(): Buffer {
  return Buffer.from(objects().map((o) => JSON.stringify(o)).join('\n') + '\n');
}

export async function xlsx(headers: readonly (string | null)[] = HEADERS, rows = CONTACT_ROWS): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Contacts');
  ws.addRow([...headers]);
  // An empty string is an empty cell in a spreadsheet.
  for (const r of rows) ws.addRow(r.map((v) => (v === '' ? null : v)));
  wb.addWorksheet('Other sheet').addRow(['ignored']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Every file of the acceptance list and the formats, by name. */
export async function contactFiles(): Promise<Record<string, Buffer>> {
  return {
    'csv comma, UTF-8, LF': Buffer.from(csvText(',')),
    'csv semicolon, UTF-8 with BOM, CRLF': withUtf8Bom(csvText(';', '\r\n')),
    'csv tab, UTF-16 LE with BOM, CRLF': utf16le(csvText('\t', '\r\n')),
    'csv pipe, UTF-16 BE with BOM': utf16be(csvText('|')),
    'csv semicolon, UTF-16 LE with BOM': utf16le(csvText(';', '\r\n')),
    'csv comma, Windows-1252, CRLF': windows1252(csvText(',', '\r\n')),
    xlsx: await xlsx(),
    'json array': jsonArray(),
    ndjson: ndjson(),
  };
}
