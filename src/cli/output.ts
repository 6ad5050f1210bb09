import { styleText } from 'node:util';
import Table from 'cli-table3';

// How the CLI writes: a table and colours for a person at a terminal; plain lines without a
// single control code in a pipe, a file or CI (NO_COLOR is honoured too); JSON with --json.

export const isTty = (stream: NodeJS.WriteStream = process.stdout): boolean => stream.isTTY === true;
const colours = (): boolean => isTty() && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

type Style = Parameters<typeof styleText>[0];
export const paint = (style: Style, text: string): string => (colours() ? styleText(style, text) : text);

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, isTty() ? 2 : undefined) + '\n');
}

export function line(text = ''): void {
  process.stdout.write(text + '\n');
}

/**
 * A table on a terminal; in a pipe, tab-separated lines with a header line, which cut, awk
 * and spreadsheets read as they are.
 */
export function printTable(head: string[], rows: (string | number | null | undefined)[][]): void {
  const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  if (!isTty()) {
    line(head.join('\t'));
    for (const r of rows) line(r.map((v) => cell(v).replace(/[\t\r\n]+/g, ' ')).join('\t'));
    return;
  }
  const table = new Table({ head, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, style: { head: colours() ? ['cyan'] : [], border: colours() ? ['grey'] : [] } });
  for (const r of rows) table.push(r.map(cell));
  line(table.toString());
}

/** Epoch seconds or an ISO string → "2026-12-06 15:04:05Z"; empty for null. */
export function when(v: number | string | null | undefined): string {
  if (v === null || v === undefined || v === '') return '';
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
