import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';

// Issue 18 items 5 (rate-limit bypass) and 6 (no request or body time-out), through the real
// HTTP app: injected requests for the buckets, a listening server and raw sockets for the
// time-outs.

describe('issue 18 item 5: one rate-limit bucket per API key however it is spelled, per address only from trusted proxies', () => {
  let svc: TestService;
  let proxied: TestService;
  beforeAll(async () => {
    svc = await startService({ RATE_LIMIT_PER_MINUTE: '5' });
    // The injected requests come from 127.0.0.1: here that address is a trusted proxy.
    proxied = await startService({ RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(async () => {
    await svc?.close();
    await proxied?.close();
  });

  const get = (s: TestService, headers: Record<string, string>) => s.app.inject({ method: 'GET', url: '/v1/imports', headers });

  it('"Bearer  KEY", "bearer KEY" and "Bearer KEY" share one bucket', async () => {
    const key = await svc.newOrg();
    const spellings = [`Bearer ${key}`, `Bearer  ${key}`, `bearer ${key}`, `BEARER ${key}`, `Bearer ${key} `];
    for (const authorization of spellings) expect((await get(svc, { authorization })).statusCode).not.toBe(429);
    for (const authorization of spellings) {
      const res = await get(svc, { authorization });
      expect(res.statusCode, authorization).toBe(429);
      expect(res.json().error.code).toBe('rate_limited');
    }
  });

  it('without TRUST_PROXY, X-Forwarded-For does not pick the bucket of a request without a key', async () => {
    for (let i = 0; i < 5; i++) expect((await get(svc, { 'x-forwarded-for': `203.0.113.${i}` })).statusCode).toBe(401);
    expect((await get(svc, { 'x-forwarded-for': '203.0.113.99' })).statusCode).toBe(429);
  });

  it('behind a trusted proxy, each forwarded client address has its own bucket', async () => {
    for (let i = 0; i < 5; i++) expect((await get(proxied, { 'x-forwarded-for': '198.51.100.1' })).statusCode).toBe(401);
    expect((await get(proxied, { 'x-forwarded-for': '198.51.100.1' })).statusCode).toBe(429);
    expect((await get(proxied, { 'x-forwarded-for': '198.51.100.2' })).statusCode).toBe(401);
  });
});

describe('issue 18 item 6: slow clients are cut off by the header and request time-outs', () => {
  let svc: TestService;
  let port: number;
  beforeAll(async () => {
    svc = await startService({ HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '2' });
    await svc.app.listen({ port: 0, host: '127.0.0.1' });
    port = (svc.app.server.address() as net.AddressInfo).port;
  });
  afterAll(async () => svc?.close());

  /** A connection that writes `first`, then one more byte of `drip` every `everyMs`; resolves when the server closes it. */
  function slowClient(first: string, drip: string, everyMs: number): { closed: Promise<number> } {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let i = 0;
    socket.on('connect', () => socket.write(first));
    const timer = setInterval(() => {
      if (!socket.destroyed && i < drip.length) socket.write(drip[i++]!);
    }, everyMs);
    socket.on('error', () => undefined);
    socket.resume();
    const closed = new Promise<number>((resolve) =>
      socket.on('close', () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      }),
    );
    return { closed };
  }

  it('40 connections sending a byte at a time, in the headers or in the body, are all closed', async () => {
    const headerDrip = 'GET /v1/imports HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000);
    const bodyHead = 'POST /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const clients = [
      ...Array.from({ length: 20 }, () => slowClient('G', headerDrip.slice(1), 250)),
      ...Array.from({ length: 20 }, () => slowClient(bodyHead, '['.repeat(1000), 250)),
    ];
    const closedAfter = await Promise.all(clients.map((c) => c.closed));
    // Headers within 1 s, the whole request within 2 s; Node checks every second.
    for (const ms of closedAfter.slice(0, 20)) expect(ms).toBeLessThan(4_000);
    for (const ms of closedAfter.slice(20)) expect(ms).toBeLessThan(5_000);
    // The server still answers a normal client.
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  }, 30_000);
});
