import { parseArgs } from 'node:util';
import type { Action } from '../src/domain/import.js';
import { getResource, RESOURCE_NAMES } from '../src/resources/index.js';
import { formatStatements, importStatements, revertStatements, sampleParams, sampleRevertParams } from '../src/pipeline/statements.js';

// npm run sql:print -- --resource contact --action merge [--ranged]
// npm run sql:print -- --resource all --action all
// npm run sql:print -- --revert --resource contact      (a revert's statements, issue 16)
// Prints every statement the phases run for an import of that resource and action, in phase
// order, each headed by phase and builder, with its parameters (sample values). --ranged shows
// one range of a larger file as PGlite runs it, rather than the whole file at once.

const ACTIONS: readonly Action[] = ['merge', 'overwrite', 'delete'];

const { values } = parseArgs({
  options: {
    resource: { type: 'string', default: 'all' },
    action: { type: 'string', default: 'all' },
    ranged: { type: 'boolean', default: false },
    revert: { type: 'boolean', default: false },
  },
});

const pick = <T extends string>(given: string, all: readonly T[], what: string): T[] => {
  if (given === 'all') return [...all];
  if (!all.includes(given as T)) {
    console.error(`Unknown ${what} "${given}"; expected one of: ${all.join(', ')}, all.`);
    process.exit(2);
  }
  return [given as T];
};

const resources = pick(values.resource!, RESOURCE_NAMES, 'resource');
const actions = pick(values.action!, ACTIONS, 'action');
const opts = { ranged: values.ranged! };
const out: string[] = [];
for (const name of resources) {
  const def = getResource(name);
  if (values.revert) {
    out.push(formatStatements(def, 'revert', revertStatements(def, sampleRevertParams()), opts));
    continue;
  }
  for (const action of actions) out.push(formatStatements(def, action, importStatements(def, action, sampleParams(def, action), opts), opts));
}
process.stdout.write(out.join('\n'));
