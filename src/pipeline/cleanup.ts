import type { Phase } from './phase.js';
import { countLiveRows, dropWorkingRows } from './working-rows.js';

// Phase 7, cleanup: drops the import's working rows. (Overwrite's deletion of unmentioned
// records and the errors file belong here too; see the actions and files issues.)
export const cleanup: Phase = async ({ tx, imp }) => {
  const total = await countLiveRows(tx, imp.id);
  await dropWorkingRows(tx, imp.id);
  return { total, error: 0 };
};
