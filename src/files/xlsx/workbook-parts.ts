// Finds the parts of an XLSX that matter, by following the package relationships the way
// Excel does, instead of assuming file names: the workbook, its first worksheet in tab order,
// the shared strings and the styles (which say which numbers are dates). Only these small
// XML files are parsed here, with a few regular expressions; the sheet itself goes to exceljs.

import path from 'node:path';
import { FileReadError } from '../file-read-error.js';
import type { RandomAccess } from './random-access.js';
import { corrupted, type ZipEntry } from './zip-directory.js';
import { inflateEntry, type InflateBudget } from './zip-entries.js';

export interface WorkbookParts {
  workbook: ZipEntry;
  sheet: ZipEntry;
  sharedStrings: ZipEntry | undefined;
  styles: ZipEntry | undefined;
  /** Dates are stored as day counts from 1904 instead of 1900 (old Mac workbooks). */
  date1904: boolean;
}

const MAX_XML_PART = 32 * 1024 * 1024;

interface Relationship {
  type: string;
  target: string;
}

export async function locateParts(file: RandomAccess, entries: ZipEntry[], budget: InflateBudget): Promise<WorkbookParts> {
  const byName = new Map(entries.map((e) => [normalisePartName(e.name), e]));
  const readXml = async (name: string): Promise<string | undefined> => {
    const entry = byName.get(normalisePartName(name));
    return entry && (await inflateEntry(file, entry, budget, MAX_XML_PART))?.toString('utf8');
  };

  const rootRels = parseRelationships((await readXml('_rels/.rels')) ?? '', '');
  const workbookName = [...rootRels.values()].find((r) => r.type.endsWith('/officeDocument'))?.target ?? 'xl/workbook.xml';
  const workbook = byName.get(normalisePartName(workbookName));
  const workbookXml = workbook && (await readXml(workbookName));
  if (!workbook || workbookXml === undefined) {
    throw new FileReadError(
      'unreadable_file',
      'The zip file is not an Excel workbook (it has no workbook part). Upload an .xlsx, CSV, JSON or NDJSON file.',
    );
  }
  const dir = path.posix.dirname(workbookName);
  const relsName = path.posix.join(dir, '_rels', `${path.posix.basename(workbookName)}.rels`);
  const rels = parseRelationships((await readXml(relsName)) ?? '', dir);
  const find = (name: string | undefined): ZipEntry | undefined =>
    name === undefined ? undefined : byName.get(normalisePartName(name));

  const sheetName = firstSheetTarget(workbookXml, rels) ?? lowestNumberedSheet(entries);
  if (sheetName === undefined) throw new FileReadError('unreadable_file', 'The workbook has no worksheet.');
  const sheet = find(sheetName);
  if (!sheet) throw corrupted(`missing ${sheetName}`);

  const targetOfType = (suffix: string): string | undefined =>
    [...rels.values()].find((r) => r.type.endsWith(suffix))?.target;
  return {
    workbook,
    sheet,
    sharedStrings: find(targetOfType('/sharedStrings')),
    styles: find(targetOfType('/styles')),
    date1904: /<(?:[\w.-]+:)?workbookPr\b[^>]*\bdate1904\s*=\s*["'](?:1|true)["']/.test(workbookXml),
  };
}

// The first sheet a person sees: the first visible worksheet in tab order (chart sheets
// skipped), or the first worksheet if all are hidden.
function firstSheetTarget(workbookXml: string, rels: Map<string, Relationship>): string | undefined {
  const worksheets = elements(workbookXml, 'sheet')
    .map((attrs) => ({ rel: rels.get(attrs.id ?? ''), hidden: attrs.state === 'hidden' || attrs.state === 'veryHidden' }))
    .filter((s): s is { rel: Relationship; hidden: boolean } => s.rel !== undefined && s.rel.type.endsWith('/worksheet'));
  return (worksheets.find((s) => !s.hidden) ?? worksheets[0])?.rel.target;
}

// Fallback for a workbook whose relationships cannot be followed.
function lowestNumberedSheet(entries: ZipEntry[]): string | undefined {
  let best: { n: number; name: string } | undefined;
  for (const e of entries) {
    const m = /^xl\/worksheets\/sheet(\d+)\.xml$/i.exec(normalisePartName(e.name));
    if (m && (!best || Number(m[1]) < best.n)) best = { n: Number(m[1]), name: e.name };
  }
  return best?.name;
}

function parseRelationships(xml: string, baseDir: string): Map<string, Relationship> {
  const rels = new Map<string, Relationship>();
  for (const attrs of elements(xml, 'Relationship')) {
    if (attrs.Id === undefined || attrs.Target === undefined || attrs.TargetMode === 'External') continue;
    rels.set(attrs.Id, { type: attrs.Type ?? '', target: resolveTarget(baseDir, attrs.Target) });
  }
  return rels;
}

/** Attributes (by local name, entities decoded) of every `<localName …>` start tag, in order. */
function elements(xml: string, localName: string): Record<string, string>[] {
  const tag = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${localName}(?=[\\s/>])([^>]*)>`, 'g');
  const attr = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  const found: Record<string, string>[] = [];
  for (const m of xml.matchAll(tag)) {
    const attrs: Record<string, string> = {};
    for (const a of (m[1] ?? '').matchAll(attr)) {
      const name = (a[1] ?? '').replace(/^.*:/, '');
      attrs[name] = decodeEntities(a[2] ?? a[3] ?? '');
    }
    found.push(attrs);
  }
  return found;
}

function decodeEntities(s: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, e: string) => {
    if (e[0] !== '#') return named[e] ?? whole;
    const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1));
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

// Targets are relative to the source part's folder, or absolute from the package root.
function resolveTarget(baseDir: string, target: string): string {
  let decoded = target;
  try {
    decoded = decodeURI(target);
  } catch {
    // not percent-encoded after all
  }
  return normalisePartName(decoded.startsWith('/') ? decoded : path.posix.join(baseDir, decoded));
}

// Part names are case-insensitive in OPC; zips sometimes store them with a leading slash.
function normalisePartName(name: string): string {
  return path.posix.normalize(name.replace(/\\/g, '/')).replace(/^\/+/, '').toLowerCase();
}
