import { z } from 'zod';
import { API_ERRORS, type ApiErrorCode } from '../errors.js';

// The error body every failed request answers with (one catalog: src/errors.ts), and the error
// statuses each route declares. Their descriptions in the OpenAPI document: openapi.ts.

const codes = Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]];
const types = [...new Set(Object.values(API_ERRORS).map((e) => e.type))] as [string, ...string[]];

export const ErrorBody = z
  .object({
    error: z.object({
      type: z.enum(types),
      code: z.enum(codes).describe('A stable, machine-readable code from the error catalog.'),
      message: z.string().describe('What went wrong and what to do next.'),
      details: z.unknown().optional().describe('For invalid requests: every offending field, as { field, in, message }.'),
    }),
  })
  .meta({ id: 'Error', description: 'The error envelope of every 4xx and 5xx answer.' });

/** Statuses an error response is declared for; '5xx' covers 500 (internal) and 503 (unavailable). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | '5xx';

export function errorResponses<const S extends readonly ErrorStatus[]>(...statuses: S): { [K in S[number]]: typeof ErrorBody } {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody])) as { [K in S[number]]: typeof ErrorBody };
}

/** What every route behind an API key can answer besides its own errors. */
export const AUTHENTICATED = [400, 401, 429, '5xx'] as const;
