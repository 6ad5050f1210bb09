import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDataDir, askOwner, DataDirBusyError, findOwner, type DataDirLock } from '../../src/db/data-dir-lock.js';

// The lock itself, against real processes holding it: a live owner is never taken over, even
// with its event loop blocked (what a long PGlite statement does); a SIGKILLed one is, by
// exactly one of several racing takers.

const ROOT = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const locks: DataDirLock[] = [];
afterEach(async () => {
  for (const l of locks.splice(0)) await l.release();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-lock-'));
  dirs.push(d);
  return d;
};

/** A process that takes the lock, says so, then runs `then` (JS source). */
function holder(dataDir: string, then: string) {
  const code = `
    import { acquireDataDir } from './src/db/data-dir-lock.js';
    const lock = await acquireDataDir(${JSON.stringify(dataDir)}, 'holder', 4242);
    lock.serve(async (req) => ({ echo: req.command }));
    process.stdout.write('locked\\n');
    ${then}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { child, locked, exited };
}

describe('data-dir lock', () => {
  it('a live owner keeps it, even with its event loop blocked; a SIGKILLed one is taken over by exactly one of several', async () => {
    const dir = tempDir();
    const h = holder(dir, `setInterval(() => {}, 1000); process.on('SIGUSR2', () => { const end = Date.now() + 4000; while (Date.now() < end); });`);
    await h.locked;
    expect(await findOwner(dir)).toMatchObject({ pid: h.child.pid, port: 4242, role: 'holder' });
    expect(await askOwner(dir, { command: 'ping' })).toEqual({ ok: true, result: { echo: 'ping' } });

    // Blocked for 4 s: still the owner.
    h.child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 300));
    const err = await acquireDataDir(dir, 'taker').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirBusyError);
    expect((err as Error).message).toContain(`pid ${h.child.pid}`);
    expect((err as Error).message).toContain('port 4242');

    h.child.kill('SIGKILL');
    await h.exited;
    expect(await findOwner(dir)).toBeNull();
    // Eight takers at once: one gets it, the others are told it is in use (by the winner).
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireDataDir(dir, 'taker')));
    const won = results.filter((r): r is PromiseFulfilledResult<DataDirLock> => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    locks.push(won[0]!.value);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DataDirBusyError);
    expect(await findOwner(dir)).toMatchObject({ pid: process.pid, role: 'taker' });
  }, 120_000);

  it('release lets the next process in, and removes the socket', async () => {
    const dir = tempDir();
    const a = await acquireDataDir(dir, 'a');
    await expect(acquireDataDir(dir, 'b')).rejects.toBeInstanceOf(DataDirBusyError);
    await a.release();
    expect(fs.existsSync(path.join(dir, '.owner/owner.sock'))).toBe(false);
    locks.push(await acquireDataDir(dir, 'b'));
  });

  it('answers an admin request before a handler is set with not_ready, and reports handler errors', async () => {
    const dir = tempDir();
    const lock = await acquireDataDir(dir, 'a');
    locks.push(lock);
    expect(await askOwner(dir, { command: 'x' })).toMatchObject({ ok: false, error: { code: 'not_ready' } });
    lock.serve(async () => {
      throw Object.assign(new Error('No API key key_x (see keys list).'), { code: 'not_found' });
    });
    expect(await askOwner(dir, { command: 'keys.revoke' })).toEqual({ ok: false, error: { code: 'not_found', message: 'No API key key_x (see keys list).' } });
  });
});
