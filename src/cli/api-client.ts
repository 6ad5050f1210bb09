import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

// The CLI's side of the HTTP API: a base URL and an API key (flags, or IMPORTS_URL /
// IMPORTS_API_KEY), JSON in and out, the API's error body turned into a message.

export const DEFAULT_URL = 'http://localhost:3000';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  url?: string;
  apiKey?: string;
}

export interface Page<T> {
  data: T[];
  pagination: { page: number; limit: number; has_more: boolean; total_count: number };
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;

  constructor(opts: ClientOptions) {
    this.baseUrl = (opts.url ?? process.env.IMPORTS_URL ?? DEFAULT_URL).replace(/\/+$/, '');
    this.apiKey = opts.apiKey ?? process.env.IMPORTS_API_KEY ?? process.env.API_KEY;
  }

  private headers(json: boolean): Record<string, string> {
    if (!this.apiKey) {
      throw new ApiError('No API key: pass --api-key or set IMPORTS_API_KEY (npm run cli -- keys create --org "Acme" makes one).', 0, 'no_api_key');
    }
    return { authorization: `Bearer ${this.apiKey}`, ...(json ? { 'content-type': 'application/json' } : {}) };
  }

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: this.headers(body !== undefined),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new ApiError(`Cannot reach the imports API at ${this.baseUrl} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}). Is the server running? Set --url or IMPORTS_URL.`, 0, 'unreachable');
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: reported below */
    }
    if (!res.ok) {
      const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(`${res.status} ${e?.code ?? res.statusText}: ${e?.message ?? text.slice(0, 200)}`, res.status, e?.code ?? String(res.status));
    }
    return parsed as T;
  }

  get<T>(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    const s = qs.toString();
    return this.request<T>('GET', s ? `${path}?${s}` : path);
  }

  /** Every item of a paginated list, page by page (up to `max`). */
  async *all<T>(path: string, query: Record<string, string | number | undefined> = {}, max = Infinity): AsyncGenerator<T> {
    let n = 0;
    for (let page = 1; ; page++) {
      const res = await this.get<Page<T>>(path, { ...query, page, limit: 100 });
      for (const item of res.data) {
        if (n++ >= max) return;
        yield item;
      }
      if (!res.pagination?.has_more || res.data.length === 0) return;
    }
  }
}

/**
 * PUTs a file to a signed upload URL, streamed (never read whole), with its length declared
 * (S3 presigned URLs need it), reporting bytes sent. No API key: the URL is the permission.
 */
export async function putFile(url: string, file: string, onProgress: (sent: number) => void, signal?: AbortSignal): Promise<unknown> {
  const size = fs.statSync(file).size;
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      onProgress(sent);
      done(null, chunk);
    },
  });
  return new Promise((resolve, reject) => {
    const req = lib.request(target, { method: 'PUT', headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' }, ...(signal ? { signal } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* S3 answers XML or nothing */
        }
        if ((res.statusCode ?? 500) >= 300) {
          const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
          reject(new ApiError(`upload failed: ${res.statusCode} ${e?.code ?? ''}: ${e?.message ?? text.slice(0, 200)}`, res.statusCode ?? 0, e?.code ?? 'upload_failed'));
        } else resolve(parsed);
      });
    });
    req.on('error', (err) => reject(new ApiError(`upload failed: ${err.message}`, 0, 'upload_failed')));
    pipeline(fs.createReadStream(file), counter, req).catch((err: Error) => reject(new ApiError(`upload failed: ${err.message}`, 0, 'upload_failed')));
  });
}

/** Streams a download URL to a file or stdout. */
export async function download(url: string, out: NodeJS.WritableStream): Promise<void> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new ApiError(`download failed: ${res.status} ${(await res.text()).slice(0, 200)}`, res.status, 'download_failed');
  const { Readable } = await import('node:stream');
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), out);
}
