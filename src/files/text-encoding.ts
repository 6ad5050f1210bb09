// Text files arrive in whatever encoding the exporting program used. Supported: UTF-8 (with or
// without BOM), UTF-16 LE/BE (BOM, or the unmistakable zero-byte pattern of ASCII text), and
// Windows-1252 for anything that is not valid UTF-8 — what Excel on Windows writes for "CSV".

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export function detectEncoding(prefix: Buffer, isWholeFile: boolean): TextEncodingName {
  if (prefix[0] === 0xef && prefix[1] === 0xbb && prefix[2] === 0xbf) return 'utf-8';
  if (prefix[0] === 0xff && prefix[1] === 0xfe) return 'utf-16le';
  if (prefix[0] === 0xfe && prefix[1] === 0xff) return 'utf-16be';
  const utf16 = guessBomlessUtf16(prefix);
  if (utf16) return utf16;
  try {
    // `stream: true` when the prefix is a cut of a longer file: a multi-byte character split at
    // the cut is then held back instead of failing the check.
    new TextDecoder('utf-8', { fatal: true }).decode(prefix, { stream: !isWholeFile });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/** Decodes a prefix for sniffing; a character cut at its end is left out, not replaced. */
export function decodePrefix(prefix: Buffer, encoding: TextEncodingName): string {
  if (encoding === 'windows-1252') return decodeWindows1252(prefix);
  return new TextDecoder(encoding).decode(prefix, { stream: true });
}

/** Set by decodeText once it has replaced invalid bytes (readers then check rows for U+FFFD). */
export interface DecodeReport {
  replaced: boolean;
}

export const REPLACED_BYTES_MESSAGE =
  'Contains bytes that are not valid in the file\'s encoding (shown as \uFFFD); save the file as UTF-8 and upload it again';

/** Whether a row's text holds a replacement character, once the decoder has made any. */
export function hasReplacement(report: DecodeReport | undefined, text: string): boolean {
  return report?.replaced === true && text.includes('\uFFFD');
}

const REPLACEMENT_UTF8 = Buffer.from('\uFFFD', 'utf8');
const REPLACEMENT_UTF16LE = Buffer.from('\uFFFD', 'utf16le');

function count(haystack: string | Buffer, needle: string | Buffer): number {
  let n = 0;
  for (let i = haystack.indexOf(needle as never); i >= 0; i = haystack.indexOf(needle as never, i + 1)) n++;
  return n;
}

/**
 * Streams text out of bytes. A BOM is dropped. Bytes that are invalid in the detected encoding
 * (a stray Windows-1252 byte deep into an otherwise UTF-8 file) become U+FFFD rather than
 * failing the file, and `report.replaced` is set: the readers then give each row holding a
 * U+FFFD a parse error (REPLACED_BYTES_MESSAGE), so the damage is reported, never imported.
 */
export async function* decodeText(chunks: AsyncIterable<Buffer>, encoding: TextEncodingName, report?: DecodeReport): AsyncGenerator<string> {
  if (encoding === 'windows-1252') {
    for await (const chunk of chunks) yield decodeWindows1252(chunk);
    return;
  }
  const decoder = new TextDecoder(encoding);
  const own = encoding === 'utf-8' ? REPLACEMENT_UTF8 : encoding === 'utf-16le' ? REPLACEMENT_UTF16LE : Buffer.from(REPLACEMENT_UTF16LE).swap16();
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    // More U+FFFD out than the bytes spelled in: the decoder replaced something.
    if (report && !report.replaced && text.includes('\uFFFD') && count(text, '\uFFFD') > count(chunk, own)) report.replaced = true;
    if (text) yield text;
  }
  const tail = decoder.decode();
  if (report && tail.includes('\uFFFD')) report.replaced = true;
  if (tail) yield tail;
}

// Node's TextDecoder('windows-1252') decodes as ISO-8859-1, which is wrong for 0x80–0x9F
// (€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ): the curly quotes and dashes Excel
// users type all the time. Latin-1 is right for every other byte, so only that range is mapped.
// The five bytes Windows-1252 leaves undefined map to the same C1 code points, as in WHATWG.
const CP1252_80_9F =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

export function decodeWindows1252(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[\x80-\x9f]/g, (c) => CP1252_80_9F[c.charCodeAt(0) - 0x80] ?? c);
}

// Text without a BOM that has a zero byte in (nearly) every other position is UTF-16: ASCII
// characters encode as `X 00` (LE) or `00 X` (BE), and real UTF-8/Windows-1252 text has no
// zero bytes at all.
function guessBomlessUtf16(prefix: Buffer): TextEncodingName | undefined {
  const pairs = Math.min(prefix.length, 4096) >> 1;
  if (pairs < 2) return undefined;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < pairs * 2; i += 2) {
    if (prefix[i] === 0) zeroEven++;
    if (prefix[i + 1] === 0) zeroOdd++;
  }
  if (zeroOdd >= pairs * 0.5 && zeroEven <= pairs * 0.05) return 'utf-16le';
  if (zeroEven >= pairs * 0.5 && zeroOdd <= pairs * 0.05) return 'utf-16be';
  return undefined;
}
