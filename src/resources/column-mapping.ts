import { isBookkeepingHeader } from '../domain/errors-file.js';
import { AppError, ImportFailure } from '../errors.js';
import { ID_FIELD, type ResourceDefinition } from './resource.js';

// Headers → fields. An explicit `column_mapping` ({ field: "Header" }) is checked at creation
// (unknown field → 400) and against the file (a mapped header missing → the import fails).
// Without one, each header maps by exact field name, then case/space/punctuation-insensitive,
// then known synonyms ("E-mail Address" → email); the mapping applied is stored on the import.
// Headers starting with `_import_` (the errors file's bookkeeping columns) never map to a field.

export function normaliseHeader(h: string): string {
  return h
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

export function fieldNames(def: ResourceDefinition): string[] {
  return [ID_FIELD, ...Object.keys(def.fields)];
}

/** Validates a client-given mapping at creation time; throws a 400 naming every problem. */
export function checkGivenMapping(def: ResourceDefinition, mapping: Record<string, string>): void {
  const known = new Set(fieldNames(def));
  const problems: { field: string; message: string }[] = [];
  const seen = new Map<string, string>();
  for (const [field, header] of Object.entries(mapping)) {
    if (!known.has(field)) {
      problems.push({ field, message: `"${field}" is not a field of ${def.name}; valid fields: ${[...known].join(', ')}` });
    }
    const h = header.trim();
    if (h === '') problems.push({ field, message: `the header mapped to "${field}" is blank` });
    if (isBookkeepingHeader(h)) {
      problems.push({ field, message: `header "${h}" starts with "_import_", which marks the errors file's own columns; those are ignored on upload` });
    }
    const other = seen.get(h.toLowerCase());
    if (other) problems.push({ field, message: `header "${h}" is mapped to both "${other}" and "${field}"; header values must be unique` });
    seen.set(h.toLowerCase(), field);
  }
  if (problems.length > 0) {
    throw new AppError('invalid_column_mapping', `column_mapping is invalid: ${problems.map((p) => p.message).join('; ')}.`, problems);
  }
}

/**
 * How a header came to map to its field: `exact` (it is the field's name), `normalised` (the
 * name up to case, spaces and punctuation), `synonym` (a known alias, "Mobile" → phone),
 * `given` (the import's column_mapping says so).
 */
export type MatchKind = 'exact' | 'normalised' | 'synonym' | 'given';

/** Maps headers to fields for one import; extends itself when JSON rows bring new keys. */
export class ColumnMapper {
  private readonly byHeader = new Map<string, string | null>();
  private readonly kinds = new Map<string, MatchKind>(); // header → how it matched (mapped headers only)
  private readonly claimed = new Map<string, string>(); // field → header
  private readonly explicit: boolean;
  private readonly exact = new Map<string, string>();
  private readonly loose = new Map<string, { field: string; kind: 'normalised' | 'synonym' }>();

  constructor(def: ResourceDefinition, given: Record<string, string> | null) {
    this.explicit = given !== null && Object.keys(given).length > 0;
    if (this.explicit && given) {
      for (const [field, header] of Object.entries(given)) {
        this.byHeader.set(header.trim(), field);
        this.kinds.set(header.trim(), 'given');
        this.claimed.set(field, header.trim());
      }
      return;
    }
    for (const f of fieldNames(def)) {
      this.exact.set(f, f);
      this.loose.set(normaliseHeader(f), { field: f, kind: 'normalised' });
    }
    for (const [f, spec] of Object.entries(def.fields)) {
      for (const s of spec.synonyms ?? []) {
        const k = normaliseHeader(s);
        if (!this.loose.has(k)) this.loose.set(k, { field: f, kind: 'synonym' });
      }
    }
  }

  /** Checks the file's headers against an explicit mapping: every mapped header must exist. */
  checkHeaders(headers: readonly string[]): void {
    if (!this.explicit) {
      // Exact names claim their field before looser matches do, whatever the column order.
      for (const h of headers) if (this.exact.has(h.trim())) this.fieldOf(h);
      for (const h of headers) this.fieldOf(h);
      return;
    }
    const present = new Set(headers.map((h) => h.trim()));
    const missing = [...this.claimed.entries()].filter(([, h]) => !present.has(h));
    if (missing.length > 0) {
      throw new ImportFailure(
        'invalid_header',
        missing.map(([f, h]) => `column "${h}" (mapped to ${f}) is not in the file`).join('; '),
      );
    }
  }

  fieldOf(header: string): string | null {
    const h = header.trim();
    const cached = this.byHeader.get(h);
    if (cached !== undefined) return cached;
    if (isBookkeepingHeader(h)) {
      this.byHeader.set(h, null);
      return null;
    }
    if (this.explicit) {
      this.byHeader.set(h, null);
      return null;
    }
    const exact = this.exact.get(h);
    const candidate = exact !== undefined ? { field: exact, kind: 'exact' as const } : (this.loose.get(normaliseHeader(h)) ?? null);
    const field = candidate && !this.claimed.has(candidate.field) ? candidate.field : null;
    if (field && candidate) {
      this.claimed.set(field, h);
      this.kinds.set(h, candidate.kind);
    }
    this.byHeader.set(h, field);
    return field;
  }

  /** How `header` matched its field (after `fieldOf` saw it); null when it maps to nothing. */
  matchOf(header: string): MatchKind | null {
    const h = header.trim();
    return this.byHeader.get(h) ? (this.kinds.get(h) ?? null) : null;
  }

  /** The mapping applied so far, as stored on the import: { field: header }. */
  applied(): Record<string, string> {
    return Object.fromEntries(this.claimed);
  }
}
