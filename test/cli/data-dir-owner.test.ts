import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli, spawnCli, type ServiceProcess } from '../support/processes.js';

// One owner per embedded DATA_DIR, with real processes: `serve` holds it; a second `serve` and
// a `worker` refuse naming it; the CLI's key commands go to the owner over its socket and take
// effect at once; after kill -9 the next `serve` takes the directory over and has everything.
// Embedded only: on PostgreSQL there is nothing to own (see cli-imports.test.ts for several
// processes there).

const embedded = !process.env.DATABASE_URL;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-own-'));
const running: ServiceProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function startServer(port: number): Promise<ServiceProcess> {
  const p = spawnCli(['serve'], { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', DEMO_ORG: 'false' });
  running.push(p);
  await p.waitFor('Imports API on');
  return p;
}

const status = async (port: number, key: string) =>
  (await fetch(`http://127.0.0.1:${port}/v1/imports`, { headers: { authorization: `Bearer ${key}` } })).status;

describe.skipIf(!embedded)('one owner per embedded DATA_DIR', () => {
  it('refuses a second server and a worker, serves admin commands over its socket, and survives kill -9', async () => {
    const port = await freePort();
    const first = await startServer(port);
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn' };

    // The lock's files: a socket only its user can use, in a directory only its user can enter.
    expect(fs.statSync(path.join(dataDir, '.owner')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dataDir, '.owner/owner.sock')).mode & 0o777).toBe(0o600);
    const owner = JSON.parse(fs.readFileSync(path.join(dataDir, '.owner/owner.json'), 'utf8'));
    expect(owner).toMatchObject({ pid: first.child.pid, port, role: 'server' });

    // A key made by the CLI while the server runs works at once.
    const created = await runCli(['keys', 'create', '--org', 'Acme'], env);
    expect(created.status, created.stderr).toBe(0);
    const acme = JSON.parse(created.stdout);
    expect(acme).toEqual({ organization_id: expect.stringMatching(/^org_/), api_key: expect.stringMatching(/^sk_/), key_id: expect.stringMatching(/^key_/) });
    expect(await status(port, acme.api_key)).toBe(200);
    // A second key for the same organization (by id), which stays valid throughout.
    const second = JSON.parse((await runCli(['keys', 'create', '--org', acme.organization_id], env)).stdout);
    expect(second.organization_id).toBe(acme.organization_id);

    // A second server on the same DATA_DIR refuses, naming the owner; so does a worker.
    const other = await runCli(['serve'], { ...env, PORT: String(await freePort()) }, 30_000);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain(`pid ${first.child.pid}`);
    expect(other.stderr).toContain(`port ${port}`);
    // Within 5 s of its start on an idle machine; the bound here allows for a loaded one.
    expect(other.ms).toBeLessThan(20_000);
    const worker = await runCli(['worker'], env, 30_000);
    expect(worker.status).toBe(1);
    expect(worker.stderr).toContain(`pid ${first.child.pid}`);
    const migrate = await runCli(['migrate'], env, 30_000);
    expect(migrate.status).toBe(1);
    expect(migrate.stderr).toContain('in use by another process');
    // The first one kept serving.
    expect(await status(port, acme.api_key)).toBe(200);

    // keys list / orgs list through the owner: last use recorded, nothing revoked yet.
    const list = await runCli(['keys', 'list', '--org', 'Acme', '--json'], env);
    expect(list.status, list.stderr).toBe(0);
    const keys = JSON.parse(list.stdout);
    expect(keys).toHaveLength(2);
    const k = keys.find((x: { id: string }) => x.id === acme.key_id);
    expect(k).toMatchObject({ prefix: acme.api_key.slice(0, 10), organization_id: acme.organization_id, organization_name: 'Acme', revoked_at: null });
    expect(k.last_used_at).not.toBeNull();
    expect(JSON.stringify(keys)).not.toContain(acme.api_key);
    const orgs = JSON.parse((await runCli(['orgs', 'list', '--json'], env)).stdout);
    expect(orgs).toEqual([expect.objectContaining({ id: acme.organization_id, name: 'Acme', active_keys: 2 })]);

    // Revoked: 401 from the next request on.
    const revoked = await runCli(['keys', 'revoke', acme.key_id], env);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(await status(port, acme.api_key)).toBe(401);
    expect(await status(port, second.api_key)).toBe(200);
    const unknown = await runCli(['keys', 'revoke', 'key_nope'], env);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('No API key key_nope');

    // kill -9: the socket file stays behind, but nothing listens on it; the next server takes
    // the directory over and has every write of the first.
    await first.kill('SIGKILL');
    expect(fs.existsSync(path.join(dataDir, '.owner/owner.sock'))).toBe(true);
    const port2 = await freePort();
    const next = await startServer(port2);
    expect(await status(port2, second.api_key)).toBe(200);
    expect(await status(port2, acme.api_key)).toBe(401);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, '.owner/owner.json'), 'utf8'))).toMatchObject({ pid: next.child.pid, port: port2 });

    // A clean stop releases it: the CLI then opens the database itself.
    await next.kill('SIGTERM');
    expect(fs.existsSync(path.join(dataDir, '.owner/owner.sock'))).toBe(false);
    const direct = await runCli(['keys', 'list', '--json'], env);
    expect(direct.status, direct.stderr).toBe(0);
    expect(JSON.parse(direct.stdout)).toHaveLength(2);
  }, 600_000);
});
