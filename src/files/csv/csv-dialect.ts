// Delimiter and line ending are decided once, from the header line, and then given to the
// parser explicitly. Letting a parser guess per chunk goes wrong on files whose first chunk
// is unrepresentative, and a header line is where a person would look too.

export type CsvDelimiter = ',' | ';' | '\t' | '|';
export type CsvNewline = '\n' | '\r\n' | '\r';

export interface CsvDialect {
  delimiter: CsvDelimiter;
  newline: CsvNewline;
}

// Order breaks ties: a header with as many commas as semicolons is read as comma-separated.
const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t', '|'];

/** `text` is the start of the decoded file (BOM removed). */
export function detectDialect(text: string): CsvDialect {
  const counts = new Map<string, number>();
  let inQuotes = false;
  let lineHasText = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      // Toggling on every quote also handles escaped quotes (""), which toggle twice.
      inQuotes = !inQuotes;
      lineHasText = true;
    } else if (!inQuotes && (c === '\n' || c === '\r')) {
      const newline: CsvNewline = c === '\r' ? (text[i + 1] === '\n' ? '\r\n' : '\r') : '\n';
      // A CR that is the last character of the sample may be half of a CRLF: use the fallback.
      if (c === '\r' && i === text.length - 1) break;
      if (lineHasText) return { delimiter: pickDelimiter(counts), newline };
      counts.clear(); // blank line before the header: not the header line
      if (newline === '\r\n') i++;
    } else if (!inQuotes && c !== undefined) {
      // A line of only delimiters is a blank record, which the reader skips before the header.
      if (isDelimiter(c)) counts.set(c, (counts.get(c) ?? 0) + 1);
      else if (c.trim() !== '') lineHasText = true;
    }
  }
  // The sample ended inside the header line (a single-line file, or a header longer than the
  // sample): any line ending seen is better than none.
  const newline: CsvNewline = text.includes('\r\n')
    ? '\r\n'
    : text.includes('\n') || !text.includes('\r')
      ? '\n'
      : '\r';
  return { delimiter: pickDelimiter(counts), newline };
}

function isDelimiter(c: string): c is CsvDelimiter {
  return (DELIMITERS as readonly string[]).includes(c);
}

function pickDelimiter(counts: ReadonlyMap<string, number>): CsvDelimiter {
  let best: CsvDelimiter = ',';
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const n = counts.get(d) ?? 0;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}
