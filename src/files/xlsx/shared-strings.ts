// The workbook's shared strings, read here instead of by exceljs. exceljs keeps every entry as
// a JavaScript value (a rich-text entry as an object with a font per run): a 1.8 MB file of 30
// million tiny rich-text entries took a process to 4.8 GB. Here each entry is only its plain
// text (the runs joined, phonetic guides left out, as Excel shows it), appended as UTF-8 to one
// buffer with its end offset in a Uint32Array: memory is the text plus 4 bytes an entry, and
// both the number of entries and the text's bytes are capped, whatever the file declares.

import { SaxesParser } from 'saxes';
import { FileReadError } from '../file-read-error.js';

export interface SharedStringLimits {
  maxSharedStrings: number;
  maxSharedStringBytes: number;
  /** Longer entries are kept cut to one character past this, so the row check still sees them too long. */
  maxCellChars: number;
}

export class SharedStrings {
  private text = Buffer.alloc(64 * 1024);
  private used = 0;
  private ends = new Uint32Array(1024);
  private n = 0;

  constructor(private readonly limits: SharedStringLimits) {}

  get count(): number {
    return this.n;
  }

  add(value: string): void {
    if (this.n >= this.limits.maxSharedStrings) throw tooManyStrings(this.limits.maxSharedStrings);
    const kept = value.length > this.limits.maxCellChars ? value.slice(0, this.limits.maxCellChars + 1) : value;
    const bytes = Buffer.byteLength(kept);
    if (this.used + bytes > this.limits.maxSharedStringBytes) throw tooMuchText(this.limits.maxSharedStringBytes);
    if (this.used + bytes > this.text.length) {
      const grown = Buffer.alloc(Math.min(Math.max(this.text.length * 2, this.used + bytes), this.limits.maxSharedStringBytes));
      this.text.copy(grown, 0, 0, this.used);
      this.text = grown;
    }
    this.text.write(kept, this.used);
    this.used += bytes;
    if (this.n === this.ends.length) {
      const grown = new Uint32Array(Math.min(this.ends.length * 2, this.limits.maxSharedStrings));
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.n++] = this.used;
  }

  /** The entry's text; `undefined` for an index the table does not have. */
  get(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.n) return undefined;
    const start = index === 0 ? 0 : this.ends[index - 1]!;
    return this.text.toString('utf8', start, this.ends[index]);
  }

  /**
   * What exceljs's worksheet reader indexes as `sharedStrings[i]`: a view that looks entries up
   * here, so exceljs itself never holds the table (see xlsx-reader.ts).
   */
  asIndexable(): Record<number, string | undefined> {
    return new Proxy(Object.create(null) as Record<number, string | undefined>, {
      get: (_, key) => (typeof key === 'string' ? this.get(Number(key)) : undefined),
    });
  }
}

const tooManyStrings = (max: number): FileReadError =>
  new FileReadError(
    'unreadable_file',
    `The XLSX file has more than ${max} shared strings (the limit XLSX_MAX_SHARED_STRINGS); split the file or save it as CSV.`,
  );

const tooMuchText = (max: number): FileReadError =>
  new FileReadError(
    'unreadable_file',
    `The XLSX file's shared strings hold more than ${max} bytes of text (the limit XLSX_MAX_SHARED_STRING_BYTES); split the file or save it as CSV.`,
  );

/** Streams `xl/sharedStrings.xml` (already inflated, as chunks) into a bounded table. */
export async function readSharedStrings(xml: AsyncIterable<Buffer>, limits: SharedStringLimits): Promise<SharedStrings> {
  const table = new SharedStrings(limits);
  const parser = new SaxesParser({ xmlns: false });
  let error: Error | undefined;
  let inItem = false;
  let inText = false;
  let phoneticDepth = 0;
  let current = '';
  const local = (name: string) => name.slice(name.indexOf(':') + 1);
  parser.on('error', (err) => {
    error ??= err;
  });
  parser.on('opentag', (node) => {
    if (error) return;
    const name = local(node.name);
    if (name === 'sst') {
      // A declared count over the limit is refused before any entry is read.
      const declared = Number(node.attributes.uniqueCount ?? node.attributes.count);
      if (Number.isFinite(declared) && declared > limits.maxSharedStrings) error = tooManyStrings(limits.maxSharedStrings);
    } else if (name === 'si') {
      inItem = true;
      current = '';
    } else if (name === 'rPh') {
      phoneticDepth++;
    } else if (name === 't') {
      inText = inItem && phoneticDepth === 0;
    }
  });
  parser.on('text', (text) => {
    if (!inText || error) return;
    // Only the first characters past the cell limit are kept: the row check needs no more.
    if (current.length <= limits.maxCellChars) current += text.slice(0, limits.maxCellChars + 1 - current.length);
  });
  parser.on('closetag', (node) => {
    if (error) return;
    const name = local(node.name);
    if (name === 't') inText = false;
    else if (name === 'rPh') phoneticDepth--;
    else if (name === 'si') {
      inItem = false;
      try {
        table.add(current);
      } catch (err) {
        error = err as Error;
      }
      current = '';
    }
  });
  // A streaming decoder: a UTF-8 character split between chunks stays whole.
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of xml) {
    parser.write(decoder.decode(chunk, { stream: true }));
    if (error) break;
  }
  if (!error) parser.write(decoder.decode()).close();
  if (error instanceof FileReadError) throw error;
  if (error) {
    throw new FileReadError('unreadable_file', `The XLSX file is corrupted or not an XLSX file (shared strings: ${error.message.split('\n')[0]}).`);
  }
  return table;
}
