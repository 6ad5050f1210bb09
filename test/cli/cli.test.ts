import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../support/service.js';
import { readMigrations } from '../../src/db/migrate.js';

// The operator's interface, run as a user would: `npm run cli -- …` and `npm start` in real
// processes, on embedded PGlite in a temp DATA_DIR (or a scratch Postgres database).

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
let env: NodeJS.ProcessEnv;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-cli-'));
  env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  let drop = async () => {};
  if (process.env.DATABASE_URL) {
    const scratch = await createScratchDatabase();
    env.DATABASE_URL = scratch.url;
    drop = scratch.drop;
  }
  cleanup = async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await drop();
  };
});
afterAll(async () => cleanup?.());

// The first command creates the PGlite data directory (initdb in a fresh process): 5 s on an
// idle machine, over a minute on a busy 2-core one. Generous budgets; nothing here measures speed.
const cli = (...args: string[]) => spawnSync(TSX, ['src/cli.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 150_000 });

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('cli', () => {
  it('migrate applies the migrations once', () => {
    const first = cli('migrate');
    expect(first.status, first.stderr).toBe(0);
    // Every file under migrations/, in order (0001_tenancy_and_imports … the newest).
    const all = readMigrations().map((m) => m.name);
    expect(all.slice(0, 2)).toEqual(['0001_tenancy_and_imports', '0002_resources']);
    expect(all).toEqual(expect.arrayContaining(['0013_idempotency_keys', '0014_webhooks']));
    expect(JSON.parse(first.stdout).applied).toEqual(all);
    expect(JSON.parse(cli('migrate').stdout).applied).toEqual([]);
  }, 300_000);

  it('keys create --org prints one JSON line with the organization, key and key id', () => {
    const res = cli('keys', 'create', '--org', 'Acme');
    expect(res.status, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ organization_id: expect.stringMatching(/^org_/), api_key: expect.stringMatching(/^sk_/), key_id: expect.stringMatching(/^key_/) });
  });

  it('explains its usage on a bad command', () => {
    const res = cli('keys', 'create');
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--org');
  });

  it('rejects bad configuration naming every bad variable', () => {
    const res = spawnSync(TSX, ['src/cli.ts', 'migrate'], { cwd: ROOT, env: { ...env, PORT: 'abc', MASS_DELETE_MAX_RATIO: '2' }, encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('PORT');
    expect(res.stderr).toContain('MASS_DELETE_MAX_RATIO');
  });

  it('serve answers on PORT; the demo key is printed only when the database has no organization', async () => {
    const port = await freePort();
    const child = spawn(TSX, ['src/cli.ts', 'serve'], { cwd: ROOT, env: { ...env, PORT: String(port) } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes('Imports API on') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(out).toContain(`http://localhost:${port}`);
      expect(out).not.toContain('API key:'); // "Acme" exists already
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
  });
});
