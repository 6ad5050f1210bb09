import { z } from 'zod';

export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

export const Pagination = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  has_more: z.boolean(),
  total_count: z.number().int(),
});

export const ErrorBody = z
  .object({
    error: z.object({ type: z.string(), code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .meta({ id: 'Error' });

/** Error responses every authenticated route can give. */
export const COMMON_ERRORS = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } as const;
