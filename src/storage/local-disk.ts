// Local-disk storage: objects are files under one root directory.
//
// Atomic writes: bytes go to `<root>/.tmp/<uuid>.part` and are renamed into place only once
// complete, so a reader sees the old file or the new one, never a partial one. Keys can never
// name anything under `.tmp` (no key segment may start with ".").

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { safeKey, safePrefix } from './keys.js';
import { ByteMeter, feed } from './meter.js';
import { StorageNotFound } from './storage-not-found.js';
import type { PutResult, Storage } from './storage.js';

const TMP_DIR = '.tmp';
const STALE_TMP_MS = 24 * 60 * 60 * 1000;

/**
 * The one function from a storage key to a file path: validates the key (see `safeKey`) and
 * resolves it under `root`, refusing anything that would land outside it.
 */
export function safeKeyPath(root: string, key: string): string {
  const base = resolve(root);
  const full = resolve(base, ...safeKey(key).split('/'));
  if (!full.startsWith(base + sep)) throw new Error(`Invalid storage key ${JSON.stringify(key)}: outside the storage root.`);
  return full;
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export class LocalDiskStorage implements Storage {
  readonly kind = 'local' as const;
  readonly root: string;
  private readonly tmpDir: string;
  private swept = false;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.length === 0) throw new Error('Local storage needs a directory.');
    this.root = resolve(dir);
    this.tmpDir = join(this.root, TMP_DIR);
  }

  async put(key: string, body: NodeJS.ReadableStream, opts: { maxBytes: number; contentType?: string }): Promise<PutResult> {
    const target = safeKeyPath(this.root, key);
    const meter = new ByteMeter(opts.maxBytes);
    // Take hold of the body before the first await: a source that fails while the directory
    // is being made must reach the meter, not become an uncaught 'error' event.
    const detach = feed(body, meter);
    const tmp = join(this.tmpDir, `${randomUUID()}.part`);
    let file: ReturnType<typeof createWriteStream> | null = null;
    try {
      await mkdir(this.tmpDir, { recursive: true });
      this.sweepOnce();
      file = createWriteStream(tmp, { flags: 'wx' });
      await pipeline(meter, file);
      await this.moveIntoPlace(tmp, target);
      detach(false);
      return meter.result();
    } catch (err) {
      detach(true);
      meter.destroy();
      if (file && !file.closed) await once(file, 'close').catch(() => undefined); // never race the file's own open
      await rm(tmp, { force: true }).catch(() => undefined);
      throw meter.failure ?? err;
    }
  }

  async get(key: string): Promise<NodeJS.ReadableStream> {
    const path = safeKeyPath(this.root, key);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errCode(err) ?? '')) throw new StorageNotFound(key);
      throw err;
    }
    try {
      if (!(await fh.stat()).isFile()) throw new StorageNotFound(key);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return fh.createReadStream(); // closes the handle when done or destroyed
  }

  async exists(key: string): Promise<boolean> {
    const path = safeKeyPath(this.root, key);
    try {
      return (await stat(path)).isFile();
    } catch (err) {
      if (['ENOENT', 'ENOTDIR'].includes(errCode(err) ?? '')) return false;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = safeKeyPath(this.root, key);
    if (!(await this.exists(key))) return; // missing, or a "directory" (not an object)
    try {
      await unlink(path);
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    safePrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const namePart = prefix.slice(slash + 1);
    const dirPath = dirKey === '' ? this.root : safeKeyPath(this.root, dirKey);

    if (namePart === '') {
      // "a/b/": everything under the directory a/b (and never a file named a/b).
      try {
        if (!(await stat(dirPath)).isDirectory()) return;
      } catch (err) {
        if (['ENOENT', 'ENOTDIR'].includes(errCode(err) ?? '')) return;
        throw err;
      }
      await rm(dirPath, { recursive: true, force: true });
      return;
    }

    // "a/b": the file or directory a/b and every sibling whose name starts with "b".
    let names: string[];
    try {
      names = await readdir(dirPath);
    } catch (err) {
      if (['ENOENT', 'ENOTDIR'].includes(errCode(err) ?? '')) return;
      throw err;
    }
    // namePart never starts with ".", so the temp directory can never match.
    await Promise.all(
      names.filter((n) => n.startsWith(namePart)).map((n) => rm(join(dirPath, n), { recursive: true, force: true })),
    );
  }

  async presignedGetUrl(key: string): Promise<string | null> {
    safeKey(key);
    return null;
  }

  /** Renames the finished temp file over the target; retries if a concurrent deletePrefix removed the parent. */
  private async moveIntoPlace(tmp: string, target: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(tmp, target);
        return;
      } catch (err) {
        if (errCode(err) === 'ENOENT' && attempt < 3) continue;
        throw err;
      }
    }
  }

  /** Removes temp files left behind by a crashed process (older than a day); best effort, once. */
  private sweepOnce(): void {
    if (this.swept) return;
    this.swept = true;
    void (async () => {
      const cutoff = Date.now() - STALE_TMP_MS;
      for (const name of await readdir(this.tmpDir)) {
        const p = join(this.tmpDir, name);
        const st = await stat(p).catch(() => undefined);
        if (st && st.mtimeMs < cutoff) await rm(p, { force: true, recursive: true }).catch(() => undefined);
      }
    })().catch(() => undefined);
  }
}
