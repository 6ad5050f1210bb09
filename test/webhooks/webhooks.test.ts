import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../src/worker/outbound-http.js';
import { startService, type TestService } from '../support/service.js';

// Webhooks end to end (README "Webhooks"): a real local receiver, the service's own worker
// sending the outbox; signatures verified the way the README tells receivers to.

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver answering each request with the next status of `plan` (then 200). */
async function receiver() {
  const got: Received[] = [];
  let plan: (number | 'hang' | 'redirect')[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      const next = plan.shift() ?? 200;
      if (next === 'hang') return; // never answers
      if (next === 'redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
        return;
      }
      res.writeHead(next).end('x'.repeat(next === 200 ? 10 : 200_000));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    got,
    answer(p: typeof plan) {
      plan = p;
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** What the README tells a receiver to do. */
function verify(secret: string, header: string, body: string, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

let svc: TestService;
let rx: Awaited<ReturnType<typeof receiver>>;

beforeAll(async () => {
  svc = await startService({ WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', WEBHOOK_RETRY_BASE_MS: '40', WEBHOOK_TIMEOUT_MS: '500' });
  rx = await receiver();
});
afterAll(async () => {
  await svc?.close();
  await rx?.close();
});

const SYNC = { resource: 'contact', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'W1', name: 'Wanda' }] };

async function endpoint(key: string, body: Record<string, unknown>) {
  const res = await svc.call('POST', '/v1/webhook_endpoints', key, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Runs the worker's delivery pass until nothing is due (retries included) or `ms` pass. */
async function deliverFor(ms: number, until: () => boolean) {
  const end = Date.now() + ms;
  while (Date.now() < end && !until()) {
    await svc.runner.deliverWebhooks();
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function deliveries(key: string, endpointId: string) {
  return (await svc.call('GET', `/v1/webhook_endpoints/${endpointId}/deliveries`, key)).body.data;
}

describe('webhooks', () => {
  it('one signed import.completed per finished import, verifiable with the secret shown once', async () => {
    const key = await svc.newOrg();
    const ep = await endpoint(key, { url: rx.url, event_types: ['import.completed'] });
    expect(ep.secret).toMatch(/^whsec_/);
    const listed = (await svc.call('GET', '/v1/webhook_endpoints', key)).body.data;
    expect(listed).toEqual([expect.objectContaining({ id: ep.id, url: rx.url, enabled: true })]);
    expect(JSON.stringify(listed)).not.toContain(ep.secret);

    const before = rx.got.length;
    const imp = (await svc.call('POST', '/v1/imports', key, SYNC)).body;
    await svc.settle(imp.id, key);
    await deliverFor(5000, () => rx.got.length > before);
    await svc.runner.deliverWebhooks(); // nothing more is due
    const mine = rx.got.slice(before);
    expect(mine).toHaveLength(1);
    const { headers, body } = mine[0]!;
    expect(verify(ep.secret, String(headers['webhook-signature']), body)).toBe(true);
    expect(verify('whsec_wrong', String(headers['webhook-signature']), body)).toBe(false);
    const event = JSON.parse(body);
    expect(event).toMatchObject({ object: 'event', type: 'import.completed', data: { object: { id: imp.id, status: 'completed', stats: { created: 1 } } } });
    expect(headers['webhook-id']).toBe(event.id);
    const [d] = await deliveries(key, ep.id);
    expect(d).toMatchObject({ event_id: event.id, import_id: imp.id, status: 'delivered', attempts: [expect.objectContaining({ status_code: 200, error: null })] });
  });

  it('answers of 500, a redirect, a time-out and an oversized body are retried with back-off until a 2xx', async () => {
    const key = await svc.newOrg();
    const ep = await endpoint(key, { url: rx.url, event_types: ['import.completed', 'import.failed'] });
    const before = rx.got.length;
    rx.answer([500, 'redirect', 'hang', 503, 200]);
    const imp = (await svc.call('POST', '/v1/imports', key, SYNC)).body;
    await svc.settle(imp.id, key);
    await deliverFor(15_000, () => rx.got.length - before >= 5);
    const [d] = await deliveries(key, ep.id);
    expect(d.status).toBe('delivered');
    expect(d.attempts.map((a: any) => a.status_code)).toEqual([500, 302, null, 503, 200]);
    expect(d.attempts[1].error).toContain('redirects are not followed');
    expect(d.attempts[2].error).toContain('no answer within 500 ms');
    // Never followed to /elsewhere; every attempt carried the same event id.
    const mine = rx.got.slice(before);
    expect(mine.every((r) => r.headers['webhook-id'] === d.event_id)).toBe(true);
    // Back-off: the gaps between attempts grow.
    const at = d.attempts.map((a: any) => Date.parse(a.at));
    expect(at[3] - at[2]).toBeGreaterThanOrEqual(at[1] - at[0]);
  });

  it('a canceled import raises import.canceled only for endpoints that want it; a delivery can be re-sent', async () => {
    const key = await svc.newOrg();
    const wantsCancel = await endpoint(key, { url: rx.url, event_types: ['import.canceled'] });
    const onlyCompleted = await endpoint(key, { url: rx.url, event_types: ['import.completed'] });
    const imp = (await svc.call('POST', '/v1/imports', key, { resource: 'contact', action: 'merge', upload_mode: 'async' })).body;
    expect((await svc.call('POST', `/v1/imports/${imp.id}/cancel`, key)).status).toBe(200);
    const before = rx.got.length;
    await deliverFor(5000, () => rx.got.length > before);
    expect(await deliveries(key, onlyCompleted.id)).toEqual([]);
    const [d] = await deliveries(key, wantsCancel.id);
    expect(d).toMatchObject({ event_type: 'import.canceled', status: 'delivered' });

    const resend = await svc.call('POST', `/v1/webhook_endpoints/${wantsCancel.id}/deliveries/${d.id}/resend`, key);
    expect(resend.status).toBe(202);
    await deliverFor(5000, () => rx.got.length > before + 1);
    const again = rx.got.slice(before);
    expect(again).toHaveLength(2);
    expect(again[1]!.headers['webhook-id']).toBe(d.event_id);
    expect(again[1]!.body).toBe(again[0]!.body); // the same event
    expect((await deliveries(key, wantsCancel.id))[0].attempts).toHaveLength(2);
  });

  it('rotating the secret signs later deliveries with the new one; deleting an endpoint stops them', async () => {
    const key = await svc.newOrg();
    const ep = await endpoint(key, { url: rx.url, event_types: ['import.completed'] });
    const rotated = (await svc.call('POST', `/v1/webhook_endpoints/${ep.id}/rotate_secret`, key)).body;
    expect(rotated.secret).not.toBe(ep.secret);
    const before = rx.got.length;
    const imp = (await svc.call('POST', '/v1/imports', key, SYNC)).body;
    await svc.settle(imp.id, key);
    await deliverFor(5000, () => rx.got.length > before);
    const { headers, body } = rx.got[before]!;
    expect(verify(rotated.secret, String(headers['webhook-signature']), body)).toBe(true);
    expect(verify(ep.secret, String(headers['webhook-signature']), body)).toBe(false);

    expect((await svc.call('DELETE', `/v1/webhook_endpoints/${ep.id}`, key)).status).toBe(204);
    const imp2 = (await svc.call('POST', '/v1/imports', key, SYNC)).body;
    await svc.settle(imp2.id, key);
    await svc.runner.deliverWebhooks();
    expect(rx.got.length).toBe(before + 1);
    expect((await svc.call('GET', `/v1/webhook_endpoints/${ep.id}`, key)).status).toBe(404);
  });

  it('an endpoint failing for the whole retry window is disabled with a reason', async () => {
    const key = await svc.newOrg();
    const ep = await endpoint(key, { url: rx.url, event_types: ['import.completed'] });
    const imp = (await svc.call('POST', '/v1/imports', key, SYNC)).body;
    await svc.settle(imp.id, key);
    // As if it had been failing for 25 hours.
    await svc.db.query(`UPDATE webhook_deliveries SET retry_from = now() - interval '25 hours' WHERE endpoint_id = $1`, [ep.id]);
    rx.answer([500]);
    await svc.runner.deliverWebhooks();
    const [d] = await deliveries(key, ep.id);
    expect(d.status).toBe('failed');
    const after = (await svc.call('GET', `/v1/webhook_endpoints/${ep.id}`, key)).body;
    expect(after.enabled).toBe(false);
    expect(after.disabled_reason).toContain('deliveries failed for 24 hours (last: answered 500)');
    // Turned on again by its owner.
    expect((await svc.call('PATCH', `/v1/webhook_endpoints/${ep.id}`, key, { enabled: true })).body).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('refuses bad endpoints with a 400 naming the problem; endpoints are per organization', async () => {
    const key = await svc.newOrg();
    for (const [body, text] of [
      [{ url: 'ftp://example.com/x', event_types: ['import.completed'] }, 'http or https'],
      [{ url: 'not a url', event_types: ['import.completed'] }, 'absolute URL'],
      [{ url: 'https://u:p@example.com/', event_types: ['import.completed'] }, 'user name or password'],
      [{ url: 'https://example.com/', event_types: ['import.exploded'] }, 'event_types'],
      [{ url: 'https://example.com/', event_types: [] }, 'event_types'],
    ] as const) {
      const res = await svc.call('POST', '/v1/webhook_endpoints', key, body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(text);
    }
    const ep = await endpoint(key, { url: 'https://example.com/', event_types: ['import.failed'] });
    const other = await svc.newOrg();
    expect((await svc.call('GET', `/v1/webhook_endpoints/${ep.id}`, other)).status).toBe(404);
    expect((await svc.call('GET', `/v1/webhook_endpoints/${ep.id}/deliveries`, other)).status).toBe(404);
  });
});

describe('outbound addresses', () => {
  it('private, loopback, link-local and reserved addresses are refused', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('without WEBHOOK_ALLOW_PRIVATE_ADDRESSES a loopback receiver (by address or by name) gets nothing', async () => {
    const strict = await startService({ WEBHOOK_RETRY_BASE_MS: '40' });
    try {
      const key = await strict.newOrg();
      const byName = rx.url.replace('127.0.0.1', 'localhost');
      const ids = [];
      for (const url of [rx.url, byName]) {
        ids.push((await strict.call('POST', '/v1/webhook_endpoints', key, { url, event_types: ['import.completed'] })).body.id);
      }
      const before = rx.got.length;
      const imp = (await strict.call('POST', '/v1/imports', key, SYNC)).body;
      await strict.settle(imp.id, key);
      await strict.runner.deliverWebhooks();
      expect(rx.got.length).toBe(before);
      for (const id of ids) {
        const [d] = (await strict.call('GET', `/v1/webhook_endpoints/${id}/deliveries`, key)).body.data;
        expect(d.status).toBe('pending');
        expect(d.attempts[0].error).toMatch(/private, loopback or link-local/);
      }
    } finally {
      await strict.close();
    }
  });
});
