import createClient from 'openapi-fetch';
import type { paths } from './generated/api.js';

// The README's walkthrough, written as a client would write it: types generated from the served
// OpenAPI document by openapi-typescript, requests made by openapi-fetch, compiled with strict
// tsc — and not a single cast (a test checks this file for them). Run against the real server
// by test/http/typed-client.test.ts.

export interface FlowResult {
  syncStatus: string;
  contactsStats: { total: number; created: number; errors: number };
  errorCodes: string[];
  asyncStatus: string;
  reviewUploadStatus: string | null;
  reviewColumns: string[];
  reviewStartedStatus: string;
  reviewMapping: Record<string, string> | null;
  reviewStatus: string;
  uploadedBytes: number;
  externalIds: string[];
  lookedUp: string | null;
  eventTypes: string[];
  missingCode: string;
  errorsCsvHeader: string;
}

export async function readmeFlow(baseUrl: string, apiKey: string): Promise<FlowResult> {
  const client = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });

  async function waitUntilFinal(id: string) {
    for (let i = 0; i < 600; i++) {
      const { data, error } = await client.GET('/v1/imports/{id}', { params: { path: { id } } });
      if (error) throw new Error(`GET /v1/imports/${id}: ${error.error.code}`);
      if (['completed', 'failed', 'timed_out', 'expired'].includes(data.status)) return data;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`import ${id} never finished`);
  }

  // 1. A sync import of locations.
  const locations = await client.POST('/v1/imports', {
    body: {
      resource: 'location',
      action: 'merge',
      upload_mode: 'sync',
      data: [
        { code: 'WH-1', name: 'Berlin Hub', address_line1: 'Hauptstr. 1', city: 'Berlin', country: 'DE' },
        { code: 'WH-2', name: 'Hamburg', address_line1: 'Hafen 4', city: 'Hamburg', country: 'de' },
      ],
    },
  });
  if (!locations.data) throw new Error(`create locations: ${locations.error?.error.message}`);
  const syncStatus = locations.data.status;
  await waitUntilFinal(locations.data.id);

  // 2. Contacts naming their locations by code or name; one has a bad email.
  const contacts = await client.POST('/v1/imports', {
    body: {
      resource: 'contact',
      action: 'merge',
      upload_mode: 'sync',
      duplicate_handling: 'use_first',
      data: [
        { external_id: 'C1', name: 'Ann Lee', email: 'ann@example.com', locations: 'WH-1, Hamburg' },
        { external_id: 'C2', name: 'Bob Ray', email: 'not-an-email' },
      ],
    },
  });
  if (!contacts.data) throw new Error(`create contacts: ${contacts.error?.error.message}`);
  const done = await waitUntilFinal(contacts.data.id);

  // 3. Its row errors.
  const errors = await client.GET('/v1/imports/{id}/errors', { params: { path: { id: done.id }, query: { limit: 100 } } });
  if (!errors.data) throw new Error('errors');

  // 4. An async import: create, PUT the file to the signed URL, poll.
  const created = await client.POST('/v1/imports', { body: { resource: 'contact', action: 'merge', upload_mode: 'async' } });
  if (!created.data?._upload_url) throw new Error('async create gave no _upload_url');
  const uploadUrl = new URL(created.data._upload_url);
  const csv = 'External ID,Full Name,E-mail Address\nC3,Cy Young,cy@example.com\nC4,Di Ng,di@example.com\n';
  const upload = await client.PUT('/v1/uploads/{id}', {
    params: {
      path: { id: created.data.id },
      query: {
        import: uploadUrl.searchParams.get('import') ?? undefined,
        expires: uploadUrl.searchParams.get('expires') ?? undefined,
        kid: uploadUrl.searchParams.get('kid') ?? undefined,
        signature: uploadUrl.searchParams.get('signature') ?? undefined,
      },
    },
    body: csv,
    bodySerializer: (body) => body,
    headers: { 'content-type': 'text/csv' },
  });
  if (!upload.data) throw new Error(`upload: ${upload.error?.error.message}`);
  const asyncDone = await waitUntilFinal(created.data.id);

  // 4b. Review before running: the file waits; preview it, map the header it missed, start.
  const review = await client.POST('/v1/imports', { body: { resource: 'contact', action: 'merge', upload_mode: 'async', review: true } });
  if (!review.data?._upload_url) throw new Error('review create gave no _upload_url');
  const reviewUrl = new URL(review.data._upload_url);
  const reviewUpload = await client.PUT('/v1/uploads/{id}', {
    params: {
      path: { id: review.data.id },
      query: {
        import: reviewUrl.searchParams.get('import') ?? undefined,
        expires: reviewUrl.searchParams.get('expires') ?? undefined,
        kid: reviewUrl.searchParams.get('kid') ?? undefined,
        signature: reviewUrl.searchParams.get('signature') ?? undefined,
      },
    },
    body: 'External ID,Full Name,Handy\nC5,Ed Ma,+1 555 0105\n',
    bodySerializer: (body) => body,
    headers: { 'content-type': 'text/csv' },
  });
  const preview = await client.GET('/v1/imports/{id}/preview', { params: { path: { id: review.data.id } } });
  if (!preview.data) throw new Error(`preview: ${preview.error?.error.message}`);
  const mapping: Record<string, string> = { phone: 'Handy' };
  for (const c of preview.data.columns) if (c.field) mapping[c.field] = c.header;
  const started = await client.POST('/v1/imports/{id}/start', { params: { path: { id: review.data.id } }, body: { column_mapping: mapping } });
  if (!started.data) throw new Error(`start: ${started.error?.error.message}`);
  const reviewDone = await waitUntilFinal(review.data.id);

  // 5. The records, page by page with a cursor, and one looked up by external_id.
  const externalIds: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await client.GET('/v1/resources/contact/records', { params: { query: { limit: 2, starting_after: after } } });
    if (!page.data) throw new Error('records');
    for (const r of page.data.data) externalIds.push(r.external_id ?? '');
    const last = page.data.data.at(-1);
    if (!page.data.pagination.has_more || !last) break;
    after = last.id;
  }
  const c3 = await client.GET('/v1/resources/contact/records', { params: { query: { external_id: 'C3' } } });

  // 6. The change events of the sync contacts import.
  const events = await client.GET('/v1/events', { params: { query: { import_id: done.id } } });
  if (!events.data) throw new Error('events');

  // 7. The errors file, through a signed download URL.
  const withUrl = await client.GET('/v1/imports/{id}', { params: { path: { id: done.id }, query: { include_errors_csv: true } } });
  const errorsUrl = withUrl.data?._errors_csv_url;
  if (!errorsUrl) throw new Error('no _errors_csv_url');
  const download = await fetch(errorsUrl);
  const errorsCsv = await download.text();

  // 8. A 404, typed as the error envelope.
  const missing = await client.GET('/v1/imports/{id}', { params: { path: { id: 'imp_nope' } } });

  return {
    syncStatus,
    contactsStats: { total: done.stats.total, created: done.stats.created, errors: done.stats.errors },
    errorCodes: errors.data.data.map((e) => e.code),
    asyncStatus: asyncDone.status,
    reviewUploadStatus: reviewUpload.data?.status ?? null,
    reviewColumns: preview.data.columns.map((c) => `${c.header}:${c.field ?? '-'}:${c.match ?? '-'}`),
    reviewStartedStatus: started.data.status,
    reviewMapping: reviewDone.column_mapping,
    reviewStatus: reviewDone.status,
    uploadedBytes: upload.data.bytes,
    externalIds,
    lookedUp: c3.data?.data[0]?.name ?? null,
    eventTypes: events.data.data.map((e) => e.type),
    missingCode: missing.error?.error.code ?? `status ${missing.response.status}`,
    errorsCsvHeader: errorsCsv.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '',
  };
}
