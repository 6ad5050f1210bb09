import { constants, crc32, createDeflateRaw } from 'node:zlib';
import { buildZip } from '../files/helpers.js';

// The XLSX of issue 18 item 1: a valid workbook whose shared-strings table holds millions of
// tiny rich-text entries. Tens of MB of XML deflate to well under a megabyte, so it passes
// every size check on the way in; exceljs's cache of that table used to take gigabytes.

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG = 'http://schemas.openxmlformats.org/package/2006/relationships';

/** Deflates `head`, then `repeat` repeated `times` times, then `tail`, without holding the whole text. */
async function deflateRepeated(head: string, repeat: string, times: number, tail: string): Promise<{ data: Buffer; size: number; crc: number }> {
  const deflate = createDeflateRaw({ level: constants.Z_BEST_COMPRESSION });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const perBlock = Math.max(1, Math.floor((1024 * 1024) / repeat.length));
  const block = Buffer.from(repeat.repeat(perBlock));
  let crc = crc32(head);
  let size = Buffer.byteLength(head);
  deflate.write(head);
  for (let left = times; left > 0; left -= perBlock) {
    const piece = left >= perBlock ? block : Buffer.from(repeat.repeat(left));
    crc = crc32(piece, crc);
    size += piece.length;
    if (!deflate.write(piece)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end(tail);
  crc = crc32(tail, crc);
  size += Buffer.byteLength(tail);
  await done;
  return { data: Buffer.concat(out), size, crc };
}

/**
 * A workbook whose first sheet has a header and two rows (referring to the first shared
 * strings), and whose shared strings are `count` rich-text entries `<si><r><t>x</t></r></si>`.
 * The table declares no count, so a reader cannot refuse it from the declaration alone.
 */
export async function manySharedStringsXlsx(count: number): Promise<Buffer> {
  const sst = await deflateRepeated(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}">`, '<si><r><t>x</t></r></si>', count, '</sst>');
  const sheet = `<?xml version="1.0"?><worksheet xmlns="${MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>`;
  return buildZip([
    { name: '[Content_Types].xml', data: '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' },
    { name: '_rels/.rels', data: `<?xml version="1.0"?><Relationships xmlns="${PKG}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>` },
    { name: 'xl/workbook.xml', data: `<?xml version="1.0"?><workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>` },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: `<?xml version="1.0"?><Relationships xmlns="${PKG}"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    },
    { name: 'xl/worksheets/sheet1.xml', data: sheet },
    { name: 'xl/sharedStrings.xml', data: sst.data, method: 8, precompressed: { size: sst.size, crc: sst.crc } },
  ]);
}
