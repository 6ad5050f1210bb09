// A tagged template for SQL that stays plain SQL: `sql`SELECT … WHERE id = ${value}`` becomes
// `{ text: 'SELECT … WHERE id = $1', values: [value] }`. Why our own (twenty lines of logic)
// rather than a query builder: the phases' statements are long, hand-tuned SQL whose exact shape
// the planner depends on; a builder would hide that shape, a tag keeps it readable as written.
//
// What may be interpolated:
//  - any value: always a parameter, never spliced into the text. The same value (or the same
//    `sql.param`) used several times in one statement is one parameter, so a statement that
//    says `import_id = ${id}` in five places has one `$1`, as hand-numbered SQL had;
//  - another fragment: nested, its parameters renumbered into the outer statement;
//  - `sql.ident(name)`: a table or column name from a resource definition (never from input),
//    checked against /^[a-z_][a-z0-9_]*$/;
//  - `sql.join(list, separator)`: fragments (or values) with constant SQL between them.

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** A parameter with a label for printing (`$1 = import id`); equal params dedupe by identity. */
export class SqlParam {
  constructor(
    readonly value: unknown,
    readonly label?: string,
  ) {}
}

export class SqlIdent {
  constructor(readonly name: string) {
    if (!IDENT.test(name)) throw new Error(`refusing ${JSON.stringify(name)} as an SQL identifier`);
  }
}

export class SqlFragment {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** Text and numbered parameters. */
  compile(): CompiledSql {
    const values: unknown[] = [];
    const labels: (string | undefined)[] = [];
    const seen = new Map<unknown, number>();
    const number = (v: unknown, label: string | undefined): string => {
      // Objects (arrays, params) by identity; primitives by type and value.
      const key = v !== null && typeof v === 'object' ? v : `${typeof v}:${String(v)}`;
      let n = seen.get(key);
      if (n === undefined) {
        values.push(v instanceof SqlParam ? v.value : v);
        labels.push(label);
        n = values.length;
        seen.set(key, n);
      }
      return `$${n}`;
    };
    const walk = (f: SqlFragment): string => {
      let text = f.strings[0]!;
      f.values.forEach((v, i) => {
        if (v instanceof SqlFragment) text += walk(v);
        else if (v instanceof SqlIdent) text += v.name;
        else if (v === undefined) throw new Error(`undefined interpolated into SQL after ${JSON.stringify(text.slice(-60))}`);
        else text += number(v, v instanceof SqlParam ? v.label : undefined);
        text += f.strings[i + 1]!;
      });
      return text;
    };
    const text = walk(this);
    return { text, values, labels };
  }
}

export interface CompiledSql {
  text: string;
  values: unknown[];
  /** Per parameter, the label given with `sql.param` (for sql:print), if any. */
  labels?: (string | undefined)[];
}

/** What `Queryable.query` accepts besides `(text, params)`. */
export type SqlStatement = SqlFragment | CompiledSql;

function tag(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  return new SqlFragment([...strings], values);
}

const EMPTY = new SqlFragment([''], []);

export const sql = Object.assign(tag, {
  ident: (name: string) => new SqlIdent(name),
  param: (value: unknown, label?: string) => new SqlParam(value, label),
  join(list: readonly unknown[], separator: string): SqlFragment {
    if (list.length === 0) return EMPTY;
    return new SqlFragment(['', ...list.slice(1).map(() => separator), ''], list);
  },
  /** Nothing: for a part of a statement that is left out. */
  empty: EMPTY,
});

/** `(text, params)` or a statement, as text and values. */
export function toQuery(statement: string | SqlStatement, params: readonly unknown[] = []): { text: string; values: unknown[] } {
  if (typeof statement === 'string') return { text: statement, values: [...params] };
  if (params.length > 0) throw new Error('a built statement carries its own parameters');
  return statement instanceof SqlFragment ? statement.compile() : statement;
}
