import { z } from 'zod';
import { EXACT_COUNT_UP_TO } from '../imports/list-page.js';
import { optionalQueryFlag } from './openapi-schema.js';

// The query parameters and the `pagination` object every list shares (see imports/list-page.ts).

const limitUpTo = (max: number) => z.coerce.number().int().min(1).max(max).default(10).describe(`Items per page, 1–${max}.`);
const limit = limitUpTo(100);

/** Lists read in bulk (records, events) take pages of up to this many items. */
export const BULK_LIST_LIMIT = 1000;
const page = z.coerce.number().int().min(1).optional().describe('Page number (OFFSET paging, kept for compatibility; deep pages get slower). Not with starting_after / ending_before.');
const includeTotal = optionalQueryFlag(
  `Count every matching item for total_count. Without it, total_count is exact up to ${EXACT_COUNT_UP_TO} and the planner's estimate above (then total_count_exact: false is present).`,
);

/** limit, page, starting_after / ending_before an id, include_total. */
export const listQueryShape = {
  limit,
  page,
  starting_after: z.string().min(1).max(200).optional().describe('Cursor: the page after this item id (the last `id` of the previous page).'),
  ending_before: z.string().min(1).max(200).optional().describe('Cursor: the page before this item id (the first `id` of the next page).'),
  include_total: includeTotal,
};

/** The same with `limit` up to BULK_LIST_LIMIT: records and events, which clients read back in bulk. */
export const bulkListQueryShape = { ...listQueryShape, limit: limitUpTo(BULK_LIST_LIMIT) };

/** The same, with row numbers as cursors (row errors). */
export const rowListQueryShape = {
  limit,
  page,
  starting_after: z.coerce.number().int().min(0).optional().describe('Cursor: the errors after this row number (the last `row` of the previous page).'),
  ending_before: z.coerce.number().int().min(1).optional().describe('Cursor: the errors before this row number (the first `row` of the next page).'),
  include_total: includeTotal,
};

export const Pagination = z
  .object({
    page: z.number().int().nullable().describe('The page number when paging by `page` (the default); null when paging by cursor.'),
    limit: z.number().int(),
    has_more: z.boolean().describe('More items follow in the direction of paging (after the last item; before the first with ending_before).'),
    total_count: z.number().int().describe(`Matching items: exact up to ${EXACT_COUNT_UP_TO} or with include_total=true, else an estimate.`),
    total_count_exact: z.literal(false).optional().describe('Present (false) only when total_count is an estimate.'),
  })
  .meta({
    id: 'Pagination',
    description:
      'Cursor pagination as Stripe does it: pass the last item\'s id as starting_after for the next page while has_more is true (or the first as ending_before for the previous one).',
  });
