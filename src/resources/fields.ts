import { z } from 'zod';

// Field kinds and their coercion from what spreadsheets and JSON actually contain. Each field
// declares its Zod input schema (used per row in prevalidation and for the JSON Schema) and
// its SQL type (used to cast staged JSON values into the resource's table).
//
// Conventions: an empty or blank cell never reaches a field (prevalidation drops it: "not
// given"); JSON `null` does, and means "clear this value".

export type SqlType = 'text' | 'bigint' | 'double precision' | 'date' | 'jsonb' | 'text[]';

/**
 * What a field holds once imported, as clients see it (GET /v1/resources/{name} and the record
 * schemas of the OpenAPI document). Each factory below sets it from the same values it builds
 * the field's Zod schema with, so the description and the validation cannot disagree.
 */
export interface FieldDoc {
  type: 'string' | 'integer' | 'number' | 'object' | 'array';
  format?: string;
  enum?: readonly string[];
  maxLength?: number;
  minimum?: number;
  maxItems?: number;
}

export interface FieldSpec {
  schema: z.ZodType;
  sqlType: SqlType;
  doc: FieldDoc;
  description: string;
  /** A lookup-key value is normalised (trimmed, emails lower-cased) the same way everywhere. */
  normalise?: (v: string) => string;
  /** Header synonyms for auto-mapping, lower-case with punctuation removed. */
  synonyms?: readonly string[];
}

const nullable = <T extends z.ZodType>(s: T) => s.nullable();

/**
 * Why PostgreSQL could not store `s` as text or inside jsonb, if it could not: it has no NUL
 * character, and text is UTF-8, which has no lone UTF-16 surrogates (they would be silently
 * replaced by U+FFFD on the way, or refused inside jsonb).
 */
export function unstorableText(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (!s.isWellFormed()) return 'must not contain a lone UTF-16 surrogate (invalid Unicode; the text is probably damaged)';
  return undefined;
}

// A JSON number that is a whole number past 2^53 has already lost digits when it was parsed
// (9007199254740993 reads as …992): refused instead of stored rounded.
const UNSAFE_INTEGER = 'is a whole number beyond 2^53 and cannot be kept exactly; send it as a string';

const cellString = z.union([z.string(), z.number(), z.bigint()]).transform((v, ctx) => {
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
    ctx.addIssue({ code: 'custom', message: UNSAFE_INTEGER });
    return z.NEVER;
  }
  const s = String(v).trim();
  const bad = unstorableText(s);
  if (bad === undefined) return s;
  ctx.addIssue({ code: 'custom', message: bad });
  return z.NEVER;
});

/**
 * Headers that mean a phone number in the exports people bring (CRMs, phone books, HR tools):
 * "Mobile Phone Number", "Cell", "Tel." …; compared after normaliseHeader.
 */
export const PHONE_SYNONYMS = [
  'phone number', 'phone no', 'telephone', 'telephone number', 'tel', 'mobile', 'mobile phone', 'mobile number',
  'mobile phone number', 'mobile no', 'cell', 'cell phone', 'cellphone', 'cell number', 'cell phone number',
] as const;

export function text(description: string, o: { max?: number; synonyms?: readonly string[] } = {}): FieldSpec {
  const max = o.max ?? 1000;
  return {
    schema: nullable(cellString.pipe(z.string().min(1, 'must not be blank').max(max))),
    sqlType: 'text',
    doc: { type: 'string', maxLength: max },
    description,
    normalise: (v) => v.trim(),
    synonyms: o.synonyms,
  };
}

export function email(description: string, synonyms: string[] = []): FieldSpec {
  return {
    schema: nullable(
      z
        .string()
        .transform((v) => v.trim().toLowerCase())
        .pipe(z.email({ message: 'must be an email address like name@example.com' })),
    ),
    sqlType: 'text',
    doc: { type: 'string', format: 'email' },
    description,
    normalise: (v) => v.trim().toLowerCase(),
    synonyms: ['email', 'e mail', 'email address', 'e mail address', 'mail', ...synonyms],
  };
}

export function enumOf<const T extends readonly [string, ...string[]]>(values: T, description: string): FieldSpec {
  const lower = new Map(values.map((v) => [v.toLowerCase(), v]));
  return {
    schema: nullable(
      z.string().transform((v, ctx) => {
        const hit = lower.get(v.trim().toLowerCase());
        if (hit) return hit;
        ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}` });
        return z.NEVER;
      }),
    ),
    sqlType: 'text',
    doc: { type: 'string', enum: values },
    description: `${description} One of: ${values.join(', ')}.`,
  };
}

/** A code from a closed list, compared case-insensitively and stored in its canonical case. */
export function codeOf(allowed: ReadonlySet<string>, upper: boolean, description: string, expected: string, format?: string): FieldSpec {
  return {
    schema: nullable(
      z.string().transform((v, ctx) => {
        const s = upper ? v.trim().toUpperCase() : v.trim();
        if (allowed.has(s)) return s;
        ctx.addIssue({ code: 'custom', message: `must be ${expected}` });
        return z.NEVER;
      }),
    ),
    sqlType: 'text',
    doc: format ? { type: 'string', format } : { type: 'string' },
    description,
  };
}

// Spreadsheet numbers: " 42 ", "1 234", "12.50". Thousands separators other than spaces are
// ambiguous across locales (1,5 vs 1,500), so they are rejected rather than guessed.
// Only decimal notation: Number() would also take "0x1F" (31), "0b11", "0o7" and "Infinity".
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_LITERAL = /^[+-]?\d+$/;

const numberCell = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const s = typeof v === 'number' ? '' : v.trim().replace(/\s+/g, '');
  const n = typeof v === 'number' ? v : DECIMAL.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: `must be a decimal number like 42 or 12.5, got "${String(v).slice(0, 100)}"` });
    return z.NEVER;
  }
  if (Number.isInteger(n) && !Number.isSafeInteger(n) && (typeof v === 'number' || INTEGER_LITERAL.test(s))) {
    ctx.addIssue({ code: 'custom', message: UNSAFE_INTEGER });
    return z.NEVER;
  }
  return n;
});

export function nonNegativeNumber(description: string): FieldSpec {
  return {
    schema: nullable(numberCell.pipe(z.number().min(0, 'must be 0 or more'))),
    sqlType: 'double precision',
    doc: { type: 'number', minimum: 0 },
    description,
  };
}

export function cents(description: string): FieldSpec {
  return {
    schema: nullable(
      numberCell.pipe(
        z.number().int('must be a whole number of cents').min(0, 'must be 0 or more').max(Number.MAX_SAFE_INTEGER),
      ),
    ),
    sqlType: 'bigint',
    doc: { type: 'integer', minimum: 0 },
    description,
  };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/;

export function date(description: string): FieldSpec {
  return {
    schema: nullable(
      z.string().transform((v, ctx) => {
        const m = ISO_DATE.exec(v.trim());
        const d = m ? new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`) : null;
        // Year 0000 exists in ISO 8601 (1 BC) but not in PostgreSQL's dates.
        if (m && d && m[1] !== '0000' && !Number.isNaN(d.getTime()) && d.toISOString().startsWith(`${m[1]}-${m[2]}-${m[3]}`)) {
          return `${m[1]}-${m[2]}-${m[3]}`;
        }
        ctx.addIssue({ code: 'custom', message: `must be a date from 0001-01-01 to 9999-12-31 like 2024-03-31, got "${v.slice(0, 100)}"` });
        return z.NEVER;
      }),
    ),
    sqlType: 'date',
    doc: { type: 'string', format: 'date' },
    description: `${description} ISO 8601 date (YYYY-MM-DD).`,
  };
}

export function jsonObject(description: string): FieldSpec {
  return {
    schema: nullable(
      z.union([z.record(z.string(), z.unknown()), z.string()]).transform((v, ctx) => {
        let value: unknown = v;
        if (typeof v === 'string') {
          try {
            value = JSON.parse(v);
          } catch {
            value = undefined;
          }
        }
        if (!value || typeof value !== 'object' || Array.isArray(value)) {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object like {"key": "value"}' });
          return z.NEVER;
        }
        const bad = unstorableJson(value);
        if (bad === undefined) return value as Record<string, unknown>;
        ctx.addIssue({ code: 'custom', message: bad });
        return z.NEVER;
      }),
    ),
    sqlType: 'jsonb',
    doc: { type: 'object' },
    description: `${description} A JSON object (in CSV: the object as JSON text).`,
  };
}

/** Levels of arrays/objects a JSON field value may nest (jsonb's own limit is far deeper, but every step in between recurses). */
export const MAX_JSON_FIELD_DEPTH = 32;

/** Why jsonb could not store `root` exactly (see unstorableText), walked without recursion. */
function unstorableJson(root: unknown): string | undefined {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: root, depth: 1, path: '' }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      const bad = unstorableText(v);
      if (bad) return `${path || 'value'} ${bad}`;
    } else if (typeof v === 'number') {
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) return `${path || 'value'} ${UNSAFE_INTEGER}`;
    } else if (v && typeof v === 'object') {
      if (depth > MAX_JSON_FIELD_DEPTH) return `nests deeper than ${MAX_JSON_FIELD_DEPTH} levels`;
      for (const [k, x] of Object.entries(v)) {
        const at = Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
        const badKey = Array.isArray(v) ? undefined : unstorableText(k);
        if (badKey) return `key "${at.slice(0, 100)}" ${badKey}`;
        stack.push({ v: x, depth: depth + 1, path: at.slice(0, 200) });
      }
    }
  }
  return undefined;
}

/** A reference to one record: its id or any lookup-key value of the target. */
export function refOne(description: string): FieldSpec {
  return {
    schema: nullable(cellString.pipe(z.string().min(1, 'must not be blank'))),
    sqlType: 'text',
    doc: { type: 'string' },
    description: `${description} An id or any lookup-key value of the target.`,
  };
}

const MAX_MANY = 1000;

/** References to several records: comma-separated in CSV, an array in JSON. */
export function refMany(description: string): FieldSpec {
  return {
    schema: nullable(
      z
        .union([z.string(), z.array(cellString)])
        .transform((v) => (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter((s) => s !== ''))
        .pipe(z.array(z.string()).max(MAX_MANY, `must name at most ${MAX_MANY} records`)),
    ),
    sqlType: 'text[]',
    doc: { type: 'array', maxItems: MAX_MANY },
    description: `${description} Ids or lookup-key values of the targets: comma-separated in CSV, an array in JSON.`,
  };
}
