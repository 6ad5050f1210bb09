import type { InjectOptions } from 'light-my-request';
import type { TestService } from './service.js';

// Driving async imports as a client would: create, PUT the file to the _upload_url it was given
// (no API key), fetch the signed download URLs. Absolute URLs are turned into injected requests.

export const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

export async function createAsync(svc: TestService, key: string, body: Record<string, unknown> = {}) {
  const res = await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'async', ...body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function put(svc: TestService, url: string, payload: InjectOptions['payload'], headers: Record<string, string> = {}) {
  const res = await svc.app.inject({ method: 'PUT', url: pathOf(url), payload, headers });
  return { status: res.statusCode, body: safeJson(res.body), headers: res.headers };
}

export async function download(svc: TestService, url: string) {
  const res = await svc.app.inject({ method: 'GET', url: pathOf(url) });
  return { status: res.statusCode, raw: res.rawPayload, text: res.body, headers: res.headers };
}

/** Creates an async import, uploads `file`, runs the worker; returns the finished import. */
export async function uploadAndSettle(svc: TestService, key: string, file: Buffer | string, body: Record<string, unknown> = {}) {
  const created = await createAsync(svc, key, body);
  const res = await put(svc, created._upload_url, file);
  if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return svc.settle(created.id, key);
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
