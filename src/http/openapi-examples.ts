import { phaseRows } from '../pipeline/phase-list.js';

// Examples of the OpenAPI document, taken from the README's walkthrough.

type Examples = Record<string, { summary: string; value: unknown }>;

const importExample = {
  id: 'imp_0193a1b2c3d4e5f60718293a4b5c6d7e',
  object: 'import',
  organization_id: 'org_0193a1b2c3d4e5f60718293a4b5c6d00',
  resource: 'contact',
  upload_mode: 'sync',
  action: 'merge',
  status: 'completed',
  duplicate_handling: 'use_first',
  reason: null,
  has_upload_file: false,
  has_errors_file: true,
  has_results_file: true,
  dry_run: false,
  name: null,
  location_id: null,
  created_by: 'key_0193a1b2c3d4e5f60718293a4b5c6d01',
  updated_by: 'key_0193a1b2c3d4e5f60718293a4b5c6d01',
  column_mapping: { external_id: 'external_id', name: 'name', email: 'email', locations: 'locations' },
  phases: phaseRows('sync').map(({ name, mode }, i) => ({
    name,
    mode,
    status: 'completed',
    total: i === 0 ? 2 : 1,
    processed: i === 0 ? 2 : 1,
    success: 1,
    error: i === 0 ? 1 : 0,
    started_at: 1764400000,
    completed_at: 1764400001,
  })),
  stats: { total: 2, created: 1, updated: 0, unchanged: 0, deleted: 0, overwritten: 0, duplicates: 0, errors: 1, events: 1 },
  created_at: 1764400000,
  updated_at: 1764400001,
  checksum: 'sha256:9f2c…',
  review: false,
  awaiting_start: false,
  _upload_url: null,
  _upload_csv_url: null,
  _upload_json_url: null,
  _errors_csv_url: null,
  _errors_json_url: null,
  _results_csv_url: null,
  _results_json_url: null,
};

const createRequests: Examples = {
  syncLocations: {
    summary: 'Sync: two locations',
    value: {
      resource: 'location',
      action: 'merge',
      upload_mode: 'sync',
      data: [
        { code: 'WH-1', name: 'Berlin Hub', address_line1: 'Hauptstr. 1', city: 'Berlin', country: 'DE' },
        { code: 'WH-2', name: 'Hamburg', address_line1: 'Hafen 4', city: 'Hamburg', country: 'de' },
      ],
    },
  },
  syncContacts: {
    summary: 'Sync: contacts naming their locations by code or name',
    value: {
      resource: 'contact',
      action: 'merge',
      upload_mode: 'sync',
      duplicate_handling: 'use_first',
      data: [
        { external_id: 'C1', name: 'Ann Lee', email: 'ann@example.com', locations: 'WH-1, Hamburg' },
        { external_id: 'C2', name: 'Bob Ray', email: 'not-an-email' },
      ],
    },
  },
  syncCsv: {
    summary: 'Sync: a CSV as a base64 data URL',
    value: { resource: 'contact', action: 'merge', upload_mode: 'sync', data: 'data:text/csv;base64,RXh0ZXJuYWwgSUQsRnVsbCBOYW1lLEUtbWFpbCBBZGRyZXNzCkMzLEN5IFlvdW5nLGN5QGV4YW1wbGUuY29tCg==' },
  },
  async: { summary: 'Async: then PUT the file to _upload_url', value: { resource: 'contact', action: 'merge', upload_mode: 'async' } },
  review: {
    summary: 'Async with review: after the upload it waits for POST /v1/imports/{id}/start',
    value: { resource: 'contact', action: 'merge', upload_mode: 'async', review: true },
  },
  overwrite: {
    summary: 'Overwrite: the file becomes the complete set of items',
    value: { resource: 'item', action: 'overwrite', upload_mode: 'sync', allow_mass_delete: false, data: [{ external_id: 'I1', name: 'Laptop' }, { external_id: 'I2', name: 'Monitor' }] },
  },
  dryRun: {
    summary: 'Dry run: what this overwrite would do, changing nothing (then GET /v1/imports/{id}/changes)',
    value: { resource: 'item', action: 'overwrite', upload_mode: 'sync', dry_run: true, data: [{ external_id: 'I1', name: 'Laptop Pro' }, { external_id: 'I3', name: 'Dock' }] },
  },
};

const changes: Examples = {
  dryRunOverwrite: {
    summary: "A dry-run overwrite's would-be changes",
    value: {
      data: [
        {
          id: 'evt_0193a1b2c3d4e5f60718293a4b5c6d10',
          object: 'change',
          change: 'updated',
          resource: 'item',
          record_id: 'itm_0193a1b2c3d4e5f60718293a4b5c6d20',
          before: { external_id: 'I1', name: 'Laptop', sku: null },
          after: { external_id: 'I1', name: 'Laptop Pro', sku: null },
        },
        { id: 'evt_0193a1b2c3d4e5f60718293a4b5c6d11', object: 'change', change: 'created', resource: 'item', record_id: 'itm_0193a1b2c3d4e5f60718293a4b5c6d21', before: null, after: { external_id: 'I3', name: 'Dock', sku: null } },
        { id: 'evt_0193a1b2c3d4e5f60718293a4b5c6d12', object: 'change', change: 'deleted', resource: 'item', record_id: 'itm_0193a1b2c3d4e5f60718293a4b5c6d22', before: { external_id: 'I2', name: 'Monitor', sku: null }, after: null },
      ],
      pagination: { page: 1, limit: 10, has_more: false, total_count: 3 },
    },
  },
};

const rowErrors: Examples = {
  invalidEmail: {
    summary: 'One invalid row',
    value: {
      data: [
        {
          row: 2,
          phase: 'prevalidation',
          code: 'invalid_value',
          field: 'email',
          message: 'email: must be an email address like name@example.com',
          data: { external_id: 'C2', name: 'Bob Ray', email: 'not-an-email' },
        },
      ],
      pagination: { page: 1, limit: 100, has_more: false, total_count: 1 },
    },
  },
};

const previewExample = {
  object: 'import_preview',
  import_id: 'imp_0193a1b2c3d4e5f60718293a4b5c6d7e',
  format: 'csv',
  encoding: 'utf-8',
  delimiter: ',',
  headers: ['First Name', 'E-mail', 'Handy'],
  rows: [
    ['Ada', 'ada@example.com', '+44 20 7946 0001'],
    ['Alan', 'alan@example.com', null],
  ],
  columns: [
    { header: 'First Name', field: null, match: null },
    { header: 'E-mail', field: 'email', match: 'normalised' },
    { header: 'Handy', field: null, match: null },
  ],
  fields: [
    { name: 'id', type: 'string', required_to_create: false, lookup_key: false, mapped_from: null },
    { name: 'external_id', type: 'string', required_to_create: false, lookup_key: true, mapped_from: null },
    { name: 'name', type: 'string', required_to_create: true, lookup_key: false, mapped_from: null },
    { name: 'email', type: 'string', required_to_create: false, lookup_key: true, mapped_from: 'E-mail' },
    { name: 'phone', type: 'string', required_to_create: false, lookup_key: false, mapped_from: null },
  ],
  missing_required: ['name'],
  missing_lookup_keys: ['external_id'],
  existing_records: 1234,
  mass_delete_max_ratio: 0.5,
};

export const EXAMPLES: Record<string, { request?: Examples; responses?: Record<string, Examples> }> = {
  createImport: {
    request: createRequests,
    responses: {
      '201': { completed: { summary: 'A sync import, once the worker finished it', value: importExample } },
      '401': { missingKey: { summary: 'No API key', value: { error: { type: 'authentication_error', code: 'unauthorized', message: 'Missing or invalid API key. Send `Authorization: Bearer <api key>`.' } } } },
      '413': {
        syncTooLarge: {
          summary: 'Too many rows for sync',
          value: { error: { type: 'invalid_request_error', code: 'sync_too_large', message: 'Too many rows or bytes for a sync import. Use upload_mode "async" and PUT the file to _upload_url.' } },
        },
      },
    },
  },
  getImport: {
    responses: {
      '200': { completed: { summary: 'A completed import', value: importExample } },
      '404': { notFound: { summary: 'Unknown (or another organization\'s) import', value: { error: { type: 'invalid_request_error', code: 'not_found', message: 'No import "imp_nope" in this organization.' } } } },
    },
  },
  listImportErrors: { responses: { '200': rowErrors } },
  previewImport: { responses: { '200': { typicalExport: { summary: 'A typical export: two headers map to nothing, name is missing', value: previewExample } } } },
  startImport: {
    request: {
      mapped: {
        summary: 'The complete mapping, one header mapped by hand',
        value: { column_mapping: { name: 'Full Name', email: 'E-mail', phone: 'Handy' }, duplicate_handling: 'use_first' },
      },
      asShown: { summary: 'Run with the mapping the preview shows', value: {} },
    },
  },
  listImportChanges: { responses: { '200': changes } },
};
