// The storage contract: every adapter runs exactly this suite.

import { PassThrough, Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { StorageNotFound, type Storage } from '../../src/storage/storage.js';
import { body, expectedSha256, MiB, readAll, sha256Hex, sha256Of, sleep, streamOf } from './helpers.js';

const BIG = 17 * MiB + 3; // > 2 S3 parts of 8 MiB, odd tail
const NO_LIMIT = 1024 * MiB;

async function expectAppError(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

async function expectNotFound(p: Promise<unknown>): Promise<StorageNotFound> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageNotFound);
  return err as StorageNotFound;
}

export const BAD_KEYS = ['../x', '/abs', 'a//b', '', 'a/', 'a/../b', './a', 'x/..', '.hidden', 'a b', 'a\\b', 'a/b?c', 'ü'];

export interface ContractOptions {
  /**
   * False when the server behind the adapter is a test double that writes an object in place
   * (s3rver), so two racing PUTs of one key can interleave there; real S3 replaces an object
   * atomically, and that is not the adapter's to ensure.
   */
  atomicOverwrite?: boolean;
}

export function storageContract(name: string, make: () => Promise<Storage>, opts: ContractOptions = {}): void {
  describe(`${name}: storage contract`, () => {
    let s: Storage;
    beforeEach(async () => {
      s = await make();
    });

    it('round-trips a streamed multi-MB body; sha256 and byte count match', async () => {
      const res = await s.put('imports/imp_1/upload', body(BIG, 7), { maxBytes: NO_LIMIT, contentType: 'text/csv' });
      const expected = expectedSha256(BIG, 7);
      expect(res).toEqual({ bytes: BIG, sha256: expected });
      expect(await s.exists('imports/imp_1/upload')).toBe(true);
      expect(await sha256Of(await s.get('imports/imp_1/upload'))).toEqual({ bytes: BIG, sha256: expected });
    });

    it('stores an empty body', async () => {
      const res = await s.put('empty', body(0), { maxBytes: 10 });
      expect(res).toEqual({ bytes: 0, sha256: sha256Hex('') });
      expect((await readAll(await s.get('empty'))).length).toBe(0);
    });

    it('accepts a body of exactly maxBytes', async () => {
      const res = await s.put('exact', body(100_000, 3), { maxBytes: 100_000 });
      expect(res.bytes).toBe(100_000);
      expect(await s.exists('exact')).toBe(true);
    });

    it('fails past maxBytes mid-stream with file_too_large naming the limit, leaving nothing behind', async () => {
      const src = body(MiB, 2);
      const err = await expectAppError(s.put('too/big', src, { maxBytes: 100_000 }), 'file_too_large');
      expect(err.status).toBe(413);
      expect(err.message).toContain('100000 bytes');
      expect(await s.exists('too/big')).toBe(false);
      await expectNotFound(s.get('too/big'));
      // the caller's stream is left to the caller: not destroyed
      expect(src.destroyed).toBe(false);
      src.destroy();
    });

    it('fails past maxBytes after several MB (multipart on S3), leaving nothing behind', async () => {
      const err = await expectAppError(s.put('too/big2', body(20 * MiB, 4), { maxBytes: 9 * MiB }), 'file_too_large');
      expect(err.message).toContain(`${9 * MiB} bytes (9 MiB)`);
      expect(await s.exists('too/big2')).toBe(false);
    });

    it('a failed put leaves the previous object untouched; a successful one replaces it', async () => {
      await s.put('k', streamOf('old contents'), { maxBytes: 1000 });
      await expectAppError(s.put('k', body(5000), { maxBytes: 1000 }), 'file_too_large');
      expect((await readAll(await s.get('k'))).toString()).toBe('old contents');
      const res = await s.put('k', streamOf('new'), { maxBytes: 1000 });
      expect(res).toEqual({ bytes: 3, sha256: sha256Hex('new') });
      expect((await readAll(await s.get('k'))).toString()).toBe('new');
    });

    it('is atomic: the object is invisible until the write completes', async () => {
      const src = new PassThrough();
      const p = s.put('slow/obj', src, { maxBytes: MiB });
      src.write(Buffer.alloc(4096, 1));
      await sleep(50);
      expect(await s.exists('slow/obj')).toBe(false);
      await expectNotFound(s.get('slow/obj'));
      src.end(Buffer.alloc(10, 2));
      expect((await p).bytes).toBe(4106);
      expect(await s.exists('slow/obj')).toBe(true);
    });

    it.skipIf(opts.atomicOverwrite === false)('concurrent writes to one key never interleave', async () => {
      const a = Buffer.alloc(300_000, 'a');
      const b = Buffer.alloc(300_000, 'b');
      await Promise.all([
        s.put('race', Readable.from([a.subarray(0, 1000), a.subarray(1000)], { objectMode: false }), { maxBytes: MiB }),
        s.put('race', Readable.from([b.subarray(0, 1000), b.subarray(1000)], { objectMode: false }), { maxBytes: MiB }),
      ]);
      const got = await readAll(await s.get('race'));
      expect(got.equals(a) || got.equals(b)).toBe(true);
    });

    it('propagates an error of the source stream and leaves nothing behind', async () => {
      const src = new PassThrough();
      const p = s.put('broken', src, { maxBytes: MiB });
      src.write(Buffer.alloc(1000));
      await sleep(10);
      src.destroy(new Error('client went away'));
      await expect(p).rejects.toThrow('client went away');
      expect(await s.exists('broken')).toBe(false);
    });

    it('get of a missing key → StorageNotFound', async () => {
      const err = await expectNotFound(s.get('nope/missing'));
      expect(err.key).toBe('nope/missing');
      await s.put('dir/file', streamOf('x'), { maxBytes: 10 });
      await expectNotFound(s.get('dir')); // a "directory" is not an object
      expect(await s.exists('dir')).toBe(false);
      expect(await s.exists('nope/missing')).toBe(false);
    });

    it('delete is idempotent', async () => {
      await s.delete('never/existed');
      await s.put('del/me', streamOf('bye'), { maxBytes: 10 });
      await s.delete('del/me');
      expect(await s.exists('del/me')).toBe(false);
      await s.delete('del/me');
      await s.delete('del'); // a "directory": nothing to do
    });

    it('deletePrefix deletes by string prefix, idempotently, and nothing else', async () => {
      const keys = ['p/a/x', 'p/a/y/z', 'p/ab', 'p/b', 'q/a', 'pa'];
      for (const k of keys) await s.put(k, streamOf(k), { maxBytes: 100 });

      await s.deletePrefix('p/a/');
      expect(await s.exists('p/a/x')).toBe(false);
      expect(await s.exists('p/a/y/z')).toBe(false);
      expect(await s.exists('p/ab')).toBe(true);

      await s.deletePrefix('p/a');
      expect(await s.exists('p/ab')).toBe(false);
      expect(await s.exists('p/b')).toBe(true);
      expect(await s.exists('q/a')).toBe(true);
      expect(await s.exists('pa')).toBe(true);

      await s.deletePrefix('p/a/'); // again: no-op
      await s.deletePrefix('nothing/here/');
      await s.deletePrefix('p/b/'); // "p/b" is an object, not a prefix directory: untouched
      expect(await s.exists('p/b')).toBe(true);

      await s.deletePrefix('p');
      expect(await s.exists('p/b')).toBe(false);
      expect(await s.exists('pa')).toBe(false);
      expect(await s.exists('q/a')).toBe(true);
    });

    it('deletePrefix refuses empty and unsafe prefixes', async () => {
      for (const bad of ['', '/', '../x', 'a//', '/abs/', '..']) {
        await expect(s.deletePrefix(bad), JSON.stringify(bad)).rejects.toThrow(/Invalid storage prefix|Invalid storage key/);
      }
    });

    it('rejects unsafe keys everywhere (../x, /abs, a//b, …) with a plain Error', async () => {
      for (const bad of BAD_KEYS) {
        const src = streamOf('x');
        for (const p of [
          s.put(bad, src, { maxBytes: 10 }),
          s.get(bad),
          s.exists(bad),
          s.delete(bad),
          s.presignedGetUrl(bad, { filename: 'f', contentType: 'text/plain', expiresInSeconds: 60 }),
        ]) {
          const err = await p.then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, JSON.stringify(bad)).toBeInstanceOf(Error);
          expect(err, JSON.stringify(bad)).not.toBeInstanceOf(AppError);
          expect((err as Error).message).toMatch(/Invalid storage key/);
        }
      }
      expect(await s.exists('x')).toBe(false);
    });

    it('rejects a body that was already consumed or destroyed instead of hanging', async () => {
      const used = streamOf('abc');
      await readAll(used);
      await expect(s.put('used', used, { maxBytes: 10 })).rejects.toThrow(/already been read/);
      const dead = new PassThrough();
      dead.destroy();
      await expect(s.put('dead', dead, { maxBytes: 10 })).rejects.toThrow();
      expect(await s.exists('used')).toBe(false);
      expect(await s.exists('dead')).toBe(false);
    });

    it('rejects an invalid maxBytes', async () => {
      await expect(s.put('m', streamOf('x'), { maxBytes: -1 })).rejects.toThrow(/maxBytes/);
      await expect(s.put('m', streamOf('x'), { maxBytes: Number.NaN })).rejects.toThrow(/maxBytes/);
    });
  });
}
