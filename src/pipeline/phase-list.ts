import type { PhaseName } from '../domain/phases.js';
import { cleanup } from './cleanup.js';
import { parsing } from './parsing.js';
import type { PhaseDefinition } from './phase.js';
import { preparsing } from './preparsing.js';
import { prevalidateUpload } from './prevalidate-upload.js';
import { processing } from './processing.js';
import { transforming } from './transforming.js';
import { validation } from './validation.js';

// What runs each phase, and how it commits. The order and the modes are the domain's phase list
// (src/domain/phases.ts); adding a phase = a line there, its file, and a line here (the type
// below refuses a list that misses one).
export const PIPELINE: { readonly [K in PhaseName]: PhaseDefinition } = {
  prevalidation: { commits: 'batches', run: prevalidateUpload },
  preparsing: { commits: 'ranges', run: preparsing },
  transforming: { commits: 'ranges', run: transforming },
  parsing: { commits: 'ranges', run: parsing },
  validation: { commits: 'ranges', run: validation },
  processing: { commits: 'ranges', run: processing },
  cleanup: { commits: 'whole', run: cleanup, writesDownloads: true },
};
