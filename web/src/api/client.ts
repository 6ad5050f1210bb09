import createClient from 'openapi-fetch';
import type { components, paths } from './generated/api';
import { apiKey, signOut } from './session';

// The typed client: openapi-fetch over the types generated from the API's own OpenAPI document
// (scripts/build-web.ts). Same origin as the page; the key is added to every request here.

export type Schemas = components['schemas'];
export type Import = Schemas['Import'];
export type ImportStatus = Schemas['ImportStatus'];
export type Phase = Schemas['Phase'];
export type Resource = Schemas['Resource'];
export type RowError = Schemas['RowError'];
export type RowErrorCode = Schemas['RowErrorCode'];
export type Event = Schemas['Event'];
export type Change = Schemas['Change'];
export type RevertConflict = Schemas['RevertConflict'];
export type Pagination = Schemas['Pagination'];
export type ImportPreview = Schemas['ImportPreview'];
export type ResourceName = Resource['name'] & Import['resource'];

export const RESOURCES = ['location', 'group', 'contact', 'item', 'asset'] as const satisfies readonly Import['resource'][];
export const FINAL_STATUSES: readonly ImportStatus[] = ['completed', 'failed', 'timed_out', 'expired'];
export const isFinal = (s: ImportStatus) => FINAL_STATUSES.includes(s);

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use({
  onRequest({ request }) {
    const key = apiKey();
    if (key) request.headers.set('authorization', `Bearer ${key}`);
    return request;
  },
  onResponse({ response }) {
    // A revoked or mistyped key: back to the sign-in page rather than a page of errors.
    if (response.status === 401 && apiKey()) signOut();
    return response;
  },
});

/** An error answer of the API ({ error: { code, message } }) or a network failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** The answer's data, or an ApiError with the catalog's message. */
export async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (err) {
    throw new ApiError(`The API could not be reached (${err instanceof Error ? err.message : String(err)}).`, 0, null);
  }
  if (answer.data !== undefined && answer.response.ok) return answer.data;
  const body = answer.error as { error?: { code?: string; message?: string; details?: unknown } } | undefined;
  throw new ApiError(body?.error?.message ?? `${answer.response.status} ${answer.response.statusText}`, answer.response.status, body?.error?.code ?? null, body?.error?.details ?? null);
}

/**
 * Signed upload/download URLs name the API's configured public address (PUBLIC_URL, default
 * http://localhost:PORT). Opened at 127.0.0.1 instead, that is another origin; the signature
 * covers the path and query but not the host, so a URL of this API's own routes is used on the
 * page's origin. URLs of other hosts (S3 presigned) are left alone.
 */
export function sameOriginUrl(url: string): string {
  const u = new URL(url, window.location.origin);
  const loopback = (h: string) => h === 'localhost' || h === '127.0.0.1' || h === '[::1]';
  const ours = /^\/v1\/(uploads|downloads)\//.test(u.pathname);
  if (ours && u.origin !== window.location.origin && loopback(u.hostname) && loopback(window.location.hostname)) {
    return `${window.location.origin}${u.pathname}${u.search}`;
  }
  return u.toString();
}
