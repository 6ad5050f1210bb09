import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import lockfile from 'proper-lockfile';

// One owner per embedded database. The process that opens DATA_DIR/pg holds DATA_DIR for as
// long as it runs; any other process either hands its work to the owner or refuses.
//
// The lock is a Unix socket the owner listens on, DATA_DIR/.owner/owner.sock (the directory is
// 0700, the socket 0600): binding a path that exists fails, so two processes cannot both bind
// it, and whether its owner lives is the kernel's answer, not a guess — a connect succeeds
// while the owner's process exists (even with its event loop busy in a long PGlite statement:
// the kernel queues the connection) and is refused once it is gone, however it died (SIGKILL,
// power loss). A lock based on a file's mtime (proper-lockfile's own scheme) would be taken
// over from a live owner whose event loop was blocked for longer than the stale period, which a
// million-row phase on PGlite easily is. Beside the socket, owner.json says who holds it (pid,
// port, start time, role) for the message other processes print.
//
// Taking over a dead owner's socket is the one step that removes a file someone else made; it
// runs under proper-lockfile (a short critical section, so its mtime staleness is safe there),
// which makes "check it is dead, unlink it, bind ours" one step among racing starters.
//
// The same socket is the local admin channel: one JSON request per line, one JSON answer per
// line (see AdminRequest). Nothing listens on a TCP port, and no secret travels in a URL.

export interface OwnerInfo {
  pid: number;
  /** HTTP port of a serving owner; null for a worker or a CLI command. */
  port: number | null;
  role: string;
  started_at: string;
}

export interface AdminRequest {
  command: string;
  args?: Record<string, unknown>;
}
export type AdminResponse = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };
export type AdminHandler = (req: AdminRequest) => Promise<unknown>;

export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: OwnerInfo | null,
  ) {
    super(
      `${dataDir} is in use by another process${owner ? ` (pid ${owner.pid}, ${owner.role}${owner.port ? `, port ${owner.port}` : ''}, since ${owner.started_at})` : ''}. ` +
        'The embedded database has one owner at a time: stop that process first, use the CLI against it ' +
        '(npm run cli -- keys …), or set DATABASE_URL to run several processes on PostgreSQL.',
    );
  }
}

export interface DataDirLock {
  readonly dataDir: string;
  readonly info: OwnerInfo;
  /** Records the HTTP port once the server listens (for other processes' messages). */
  setPort(port: number): void;
  /** Answers admin requests from other processes with `handler` (until release). */
  serve(handler: AdminHandler): void;
  release(): Promise<void>;
}

const ownerDir = (dataDir: string) => path.join(dataDir, '.owner');
export const socketPath = (dataDir: string) => path.join(ownerDir(dataDir), 'owner.sock');
const infoPath = (dataDir: string) => path.join(ownerDir(dataDir), 'owner.json');
// Unix socket paths are limited to 108 bytes on Linux (104 on macOS).
const MAX_SOCKET_PATH = 103;

function readInfo(dataDir: string): OwnerInfo | null {
  try {
    return JSON.parse(fs.readFileSync(infoPath(dataDir), 'utf8')) as OwnerInfo;
  } catch {
    return null;
  }
}

/** 'live' when something accepts connections on the socket, 'dead' when the kernel refuses, 'none' without a socket. */
function probe(sock: string, timeoutMs = 2_000): Promise<'live' | 'dead' | 'none'> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    const timer = setTimeout(() => {
      c.destroy();
      // Accepted into the kernel's queue but never answered would still have connected; a
      // connect that hangs means something is there.
      resolve('live');
    }, timeoutMs);
    c.once('connect', () => {
      clearTimeout(timer);
      c.destroy();
      resolve('live');
    });
    c.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED') resolve('dead');
      else if (err.code === 'ENOENT') resolve('none');
      // EAGAIN: the owner's accept queue is full — it is alive. Anything else: do not guess.
      else if (err.code === 'EAGAIN') resolve('live');
      else reject(err);
    });
  });
}

function listen(server: net.Server, sock: string): Promise<'bound' | 'in-use'> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') resolve('in-use');
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve('bound');
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(sock);
  });
}

/** The live owner of `dataDir`, or null when nobody holds it. */
export async function findOwner(dataDir: string): Promise<OwnerInfo | null> {
  const state = await probe(socketPath(path.resolve(dataDir)));
  if (state !== 'live') return null;
  return readInfo(path.resolve(dataDir)) ?? { pid: 0, port: null, role: 'unknown', started_at: 'unknown' };
}

/**
 * Takes DATA_DIR for this process, or throws DataDirBusyError naming the live owner. A socket
 * left by a dead owner is taken over.
 */
export async function acquireDataDir(dataDirIn: string, role: string, port: number | null = null): Promise<DataDirLock> {
  const dataDir = path.resolve(dataDirIn);
  const dir = ownerDir(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const sock = socketPath(dataDir);
  if (Buffer.byteLength(sock) > MAX_SOCKET_PATH) {
    throw new Error(`DATA_DIR is too deep for its lock socket (${sock} is over ${MAX_SOCKET_PATH} bytes); use a shorter DATA_DIR path.`);
  }
  let handler: AdminHandler | null = null;
  const server = net.createServer((conn) => answer(conn, () => handler));
  // The lock must not keep a finished CLI command alive.
  server.unref();

  let bound = (await listen(server, sock)) === 'bound';
  if (!bound) {
    const state = await probe(sock);
    if (state === 'live') throw new DataDirBusyError(dataDir, readInfo(dataDir));
    bound = await takeOver(dataDir, server, sock);
    if (!bound) throw new DataDirBusyError(dataDir, readInfo(dataDir));
  }
  fs.chmodSync(sock, 0o600);
  const info: OwnerInfo = { pid: process.pid, port, role, started_at: new Date().toISOString() };
  const writeInfo = () => {
    // Written whole to a temp file, then renamed: a reader never sees half of it.
    const tmp = `${infoPath(dataDir)}.${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(info) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, infoPath(dataDir));
  };
  writeInfo();

  let released: Promise<void> | null = null;
  return {
    dataDir,
    info,
    setPort(p) {
      info.port = p;
      writeInfo();
    },
    serve(h) {
      handler = h;
    },
    release() {
      released ??= new Promise<void>((resolve) => {
        // Remove owner.json first, while the socket still proves this process holds the lock.
        try {
          if (readInfo(dataDir)?.pid === process.pid) fs.rmSync(infoPath(dataDir), { force: true });
        } catch {
          /* best effort: a stale owner.json is ignored without a live socket */
        }
        // net.Server.close() unlinks the socket file.
        server.close(() => resolve());
      });
      return released;
    },
  };
}

async function takeOver(dataDir: string, server: net.Server, sock: string): Promise<boolean> {
  const unlock = await lockfile.lock(ownerDir(dataDir), {
    lockfilePath: path.join(ownerDir(dataDir), 'takeover.lock'),
    stale: 10_000,
    retries: { retries: 40, minTimeout: 50, maxTimeout: 250 },
    realpath: false,
  });
  try {
    // Inside the critical section only we unlink; the socket file can change only by someone
    // binding it after an unlink, so a 'dead' answer now still holds when we remove it.
    const state = await probe(sock);
    if (state === 'live') return false;
    if (state === 'dead') fs.rmSync(sock, { force: true });
    return (await listen(server, sock)) === 'bound';
  } finally {
    await unlock();
  }
}

function answer(conn: net.Socket, handlerOf: () => AdminHandler | null): void {
  let buf = '';
  conn.setEncoding('utf8');
  conn.on('error', () => {});
  conn.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > 1024 * 1024) return conn.destroy();
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    const line = buf.slice(0, nl);
    buf = '';
    void (async (): Promise<AdminResponse> => {
      const handler = handlerOf();
      if (!handler) return { ok: false, error: { code: 'not_ready', message: 'The owning process is still starting; try again in a moment.' } };
      try {
        return { ok: true, result: await handler(JSON.parse(line) as AdminRequest) };
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown };
        return { ok: false, error: { code: typeof e.code === 'string' ? e.code : 'failed', message: String(e.message ?? err) } };
      }
    })().then((res) => conn.end(JSON.stringify(res) + '\n'));
  });
}

/** Sends one admin request to the owner of `dataDir` and returns its answer. */
export function askOwner(dataDirIn: string, req: AdminRequest, timeoutMs = 30_000): Promise<AdminResponse> {
  const sock = socketPath(path.resolve(dataDirIn));
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`The process owning ${dataDirIn} did not answer within ${timeoutMs / 1000}s.`));
    }, timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(JSON.stringify(req) + '\n'));
    c.on('data', (d: string) => (buf += d));
    c.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    c.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf) as AdminResponse);
      } catch {
        reject(new Error(`The process owning ${dataDirIn} gave no answer (it may have stopped).`));
      }
    });
  });
}
