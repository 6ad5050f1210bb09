// The error catalog: the only place error codes live.
//
// Two kinds of problems exist and they never mix:
//  - request/API problems are `AppError`s: a code from `API_ERRORS`, mapped to an HTTP status
//    by `toHttpError` (the single function from error to HTTP body);
//  - import problems are `ImportFailure`s: a code from `IMPORT_FAILURES`, which ends the import
//    in `failed` (or `timed_out`/`expired`) with `reason` set;
//  - row problems are data, not exceptions: a `RowErrorCode` stored in `import_errors`.

export const API_ERRORS = {
  invalid_request: { status: 400, type: 'invalid_request_error', message: 'The request is invalid.' },
  unknown_resource: { status: 400, type: 'invalid_request_error', message: 'Unknown resource.' },
  invalid_column_mapping: { status: 400, type: 'invalid_request_error', message: 'The column mapping is invalid.' },
  unauthorized: { status: 401, type: 'authentication_error', message: 'Missing or invalid API key. Send `Authorization: Bearer <api key>`.' },
  signature_invalid: { status: 403, type: 'authentication_error', message: 'The signed URL is invalid or has been tampered with.' },
  url_expired: { status: 403, type: 'authentication_error', message: 'The signed URL has expired. Retrieve the import again for a fresh URL.' },
  not_found: { status: 404, type: 'invalid_request_error', message: 'Not found.' },
  invalid_state: { status: 409, type: 'invalid_request_error', message: 'The import is not in a state that allows this.' },
  idempotency_key_in_use: { status: 409, type: 'idempotency_error', message: 'A request with this Idempotency-Key is still being processed. Retry shortly.' },
  upload_already_received: { status: 409, type: 'invalid_request_error', message: 'A file was already uploaded for this import.' },
  unreadable_file: {
    status: 422,
    type: 'invalid_request_error',
    message: 'The uploaded file cannot be read as CSV, XLSX, JSON or NDJSON. Cancel this import and upload a readable file to a new one.',
  },
  idempotency_key_reused: {
    status: 422,
    type: 'idempotency_error',
    message: 'This Idempotency-Key was used with a different request in the last 24 hours. Use a new key for a new request.',
  },
  sync_too_large: { status: 413, type: 'invalid_request_error', message: 'Too many rows or bytes for a sync import. Use upload_mode "async" and PUT the file to _upload_url.' },
  file_too_large: { status: 413, type: 'invalid_request_error', message: 'The uploaded file exceeds the size limit.' },
  uri_too_long: { status: 414, type: 'invalid_request_error', message: 'The URL is too long.' },
  rate_limited: { status: 429, type: 'rate_limit_error', message: 'Too many requests. Retry after a short wait.' },
  internal: { status: 500, type: 'api_error', message: 'An internal error occurred. Retry the request; if it persists, contact support.' },
  unavailable: { status: 503, type: 'api_error', message: 'The service is temporarily unavailable. Retry shortly.' },
} as const satisfies Record<string, { status: number; type: string; message: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class AppError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly details: unknown;
  constructor(code: ApiErrorCode, message?: string, details?: unknown) {
    super(message ?? API_ERRORS[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = API_ERRORS[code].status;
    this.details = details;
  }
}

/** Reasons an import ends in a non-success final status. `reason` on the import starts with the code. */
export const IMPORT_FAILURES = {
  unreadable_file: 'The file could not be read as CSV, XLSX, JSON or NDJSON.',
  invalid_header: 'The file header is unusable.',
  checksum_mismatch: 'The uploaded bytes do not match the checksum given at creation.',
  no_valid_rows: 'No row passed validation; nothing was changed.',
  canceled: 'The import was canceled.',
  timed_out: 'Processing ran past the configured time limit; the running phase was rolled back.',
  expired: 'No file was uploaded before the upload URL expired.',
  internal_error: 'An internal error persisted after retries.',
  mass_delete_refused: 'Cleanup would delete more than the allowed share of existing records; nothing was deleted. Create the import with allow_mass_delete: true to allow it.',
} as const;

export type ImportFailureCode = keyof typeof IMPORT_FAILURES;

export class ImportFailure extends Error {
  readonly code: ImportFailureCode;
  constructor(code: ImportFailureCode, detail?: string) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'ImportFailure';
    this.code = code;
  }
  /** What is stored in the import's `reason`: the bare code, or `code: detail`. */
  get reason(): string {
    return this.message;
  }
}

/** Row error codes (SPEC §8). A removed row gets exactly one of these. */
export const ROW_ERROR_CODES = [
  'parse_error',
  'invalid_value',
  'missing_required_field',
  'duplicate',
  'missing_identity',
  'ambiguous_identity',
  'not_found',
  'invalid_reference',
  'ambiguous_reference',
  'still_referenced',
] as const;
export type RowErrorCode = (typeof ROW_ERROR_CODES)[number];

export interface HttpErrorBody {
  error: { type: string; code: string; message: string; details?: unknown };
}

/** The one function from any thrown value to an HTTP status and body. 5xx bodies are generic. */
export function toHttpError(err: unknown): { status: number; body: HttpErrorBody } {
  if (err instanceof AppError) {
    const spec = API_ERRORS[err.code];
    const body: HttpErrorBody = { error: { type: spec.type, code: err.code, message: err.message } };
    if (err.details !== undefined) body.error.details = err.details;
    return { status: err.status, body };
  }
  const spec = API_ERRORS.internal;
  return { status: spec.status, body: { error: { type: spec.type, code: 'internal', message: spec.message } } };
}
