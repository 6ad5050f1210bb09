import fs from 'node:fs';
import { Readable } from 'node:stream';

// A minimal client of the Imports API for the benchmark: create, upload, wait.

export class Client {
  constructor(
    readonly base: string,
    readonly key: string,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  }

  /** A sync import, waited for. */
  async syncImport(resource: string, data: unknown[], action = 'merge'): Promise<any> {
    const imp = await this.request('POST', '/v1/imports', { resource, action, upload_mode: 'sync', data });
    return this.wait(imp.id);
  }

  /** Create → PUT the file to _upload_url → wait until final. */
  async asyncImport(resource: string, file: string, action: string, extra: Record<string, unknown> = {}, onPoll?: (imp: any) => void): Promise<any> {
    const imp = await this.request('POST', '/v1/imports', { resource, action, upload_mode: 'async', ...extra });
    const put = await fetch(imp._upload_url, {
      method: 'PUT',
      headers: { 'content-type': 'text/csv', 'content-length': String(fs.statSync(file).size) },
      body: Readable.toWeb(fs.createReadStream(file)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    if (put.status >= 300) throw new Error(`upload → ${put.status}: ${await put.text()}`);
    return this.wait(imp.id, 100, onPoll);
  }

  /** Polls until the import is final; `onPoll` sees every answer (bench/progress-watch.ts). */
  async wait(id: string, everyMs = 100, onPoll?: (imp: any) => void): Promise<any> {
    for (;;) {
      const imp = await this.request('GET', `/v1/imports/${id}`);
      onPoll?.(imp);
      if (['completed', 'failed', 'timed_out', 'expired'].includes(imp.status)) return imp;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
