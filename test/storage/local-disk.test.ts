import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { LocalDiskStorage, safeKeyPath } from '../../src/storage/local-disk.js';
import { createStorage } from '../../src/storage/storage.js';
import { BAD_KEYS, storageContract } from './contract.js';
import { body, MiB, sleep, streamOf } from './helpers.js';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'storage-local-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

storageContract('local', async () => createStorage({ kind: 'local', dir: await freshDir() }));

describe('local adapter specifics', () => {
  it('createStorage picks the local adapter', async () => {
    const s = createStorage({ kind: 'local', dir: await freshDir() });
    expect(s.kind).toBe('local');
    expect(s).toBeInstanceOf(LocalDiskStorage);
  });

  it('presignedGetUrl is null (the API serves the file)', async () => {
    const s = createStorage({ kind: 'local', dir: await freshDir() });
    await s.put('a/b', streamOf('x'), { maxBytes: 10 });
    expect(await s.presignedGetUrl('a/b', { filename: 'b.csv', contentType: 'text/csv', expiresInSeconds: 60 })).toBeNull();
  });

  it('stores files at <dir>/<key> and leaves no temp files behind, after success or failure', async () => {
    const dir = await freshDir();
    const s = createStorage({ kind: 'local', dir });
    await s.put('imports/imp_1/upload.csv', streamOf('a,b\n1,2\n'), { maxBytes: 100 });
    expect(await readdir(join(dir, 'imports/imp_1'))).toEqual(['upload.csv']);
    await expect(s.put('imports/imp_1/big', body(2 * MiB), { maxBytes: MiB })).rejects.toBeInstanceOf(AppError);
    const src = new PassThrough();
    const p = s.put('imports/imp_1/broken', src, { maxBytes: MiB });
    src.write('partial');
    await sleep(10);
    src.destroy(new Error('boom'));
    await expect(p).rejects.toThrow('boom');
    expect(await readdir(join(dir, '.tmp'))).toEqual([]);
    expect(await readdir(join(dir, 'imports/imp_1'))).toEqual(['upload.csv']);
  });

  it('deletePrefix never touches the temp directory, even while a write is in flight', async () => {
    const dir = await freshDir();
    const s = createStorage({ kind: 'local', dir });
    const src = new PassThrough();
    const p = s.put('x/in-flight', src, { maxBytes: MiB });
    src.write('hello ');
    await sleep(20);
    await s.deletePrefix('x/');
    await s.deletePrefix('x');
    src.end('world');
    expect((await p).bytes).toBe(11);
    expect(await s.exists('x/in-flight')).toBe(true);
  });

  it('safeKeyPath resolves safe keys under the root and rejects everything else', () => {
    const root = '/srv/data';
    expect(safeKeyPath(root, 'imports/imp_1/upload.csv')).toBe(resolve(root, 'imports/imp_1/upload.csv'));
    expect(safeKeyPath(root, 'a-b_c.d')).toBe(resolve(root, 'a-b_c.d'));
    expect(safeKeyPath(root, 'a..b/c')).toBe(resolve(root, 'a..b/c'));
    for (const bad of BAD_KEYS) expect(() => safeKeyPath(root, bad), JSON.stringify(bad)).toThrow(/Invalid storage key/);
    expect(() => safeKeyPath(root, 'x'.repeat(256))).toThrow(/Invalid storage key/);
    expect(() => safeKeyPath(root, 'a/'.repeat(600) + 'b')).toThrow(/longer than/);
  });
});
