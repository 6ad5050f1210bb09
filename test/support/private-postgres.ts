import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// A throwaway PostgreSQL server of our own (initdb in a temp dir, a free port), so a test can
// stop and restart the database without disturbing the shared server other tests use.

export interface PrivatePostgres {
  url: string;
  restart(): void;
  stop(): void;
  start(): void;
  destroy(): void;
}

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const version = fs.readdirSync(root).sort().at(-1);
  if (!version) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
  return path.join(root, version, 'bin', name);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL binary as the postgres user when we are root (the server refuses root). */
function run(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? 'runuser' : bin, asRoot ? ['-u', 'postgres', '--', bin, ...args] : args, { stdio: 'pipe' });
}

export function privatePostgresAvailable(): boolean {
  try {
    return fs.existsSync(pgBin('initdb'));
  } catch {
    return false;
  }
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  const port = await freePort();
  run(pgBin('initdb'), ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const ctl = (action: string) =>
    run(pgBin('pg_ctl'), ['-D', dir, '-w', '-l', path.join(dir, 'server.log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, action]);
  ctl('start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => ctl('restart'),
    stop: () => run(pgBin('pg_ctl'), ['-D', dir, '-w', '-m', 'fast', 'stop']),
    start: () => ctl('start'),
    destroy: () => {
      try {
        run(pgBin('pg_ctl'), ['-D', dir, '-w', '-m', 'immediate', 'stop']);
      } catch {
        // already stopped
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
