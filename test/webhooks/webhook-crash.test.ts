import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganizationWithKey } from '../../src/tenancy/api-keys.js';
import { spawnWorker, until, type WorkerProcess } from '../support/processes.js';
import { startSharedApi, type SharedApi } from '../support/shared-api.js';

// At least once (README "Webhooks"): a worker SIGKILLed while its delivery is in flight loses
// nothing — another worker sends the event again, with the same event id. Real worker
// processes share one database, so PostgreSQL only (like test/worker/crash-resume.test.ts).
const pgOnly = describe.skipIf(!process.env.DATABASE_URL);

pgOnly('a worker killed mid-delivery', () => {
  let shared: SharedApi;
  const workers: WorkerProcess[] = [];
  const got: { id: string; body: string }[] = [];
  let hangFirst = true;
  let onFirst: () => void = () => {};
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ id: String(req.headers['webhook-id']), body });
      if (hangFirst) {
        hangFirst = false;
        onFirst(); // the worker is killed while this request waits for its answer
        return;
      }
      res.writeHead(200).end('ok');
    });
  });

  beforeAll(async () => {
    shared = await startSharedApi({});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const w of workers) await w.kill('SIGKILL');
    server.closeAllConnections();
    server.close();
    await shared?.close();
  });

  it('the event is still delivered, with the same event id', async () => {
    const env = { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_RETRY_BASE_MS: '100' };
    const { api_key: key } = await createOrganizationWithKey(shared.db, 'webhook crash');
    const call = async (method: 'GET' | 'POST', url: string, body?: object) =>
      (await shared.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(body ? { payload: body } : {}) })).json();
    const port = (server.address() as AddressInfo).port;
    const ep = await call('POST', '/v1/webhook_endpoints', { url: `http://127.0.0.1:${port}/hook`, event_types: ['import.completed'] });
    const killed = new Promise<void>((resolve) => {
      onFirst = () => {
        void workers[0]!.kill('SIGKILL').then(() => resolve());
      };
    });
    workers.push(spawnWorker(shared.url, env));
    const imp = await call('POST', '/v1/imports', { resource: 'contact', action: 'merge', upload_mode: 'sync', data: [{ external_id: 'K1', name: 'Kim' }] });
    await killed;
    expect(got).toHaveLength(1);
    expect(workers[0]!.child.signalCode).toBe('SIGKILL');

    workers.push(spawnWorker(shared.url, env));
    const d = await until('the delivery to be sent again', async () => {
      const [x] = (await call('GET', `/v1/webhook_endpoints/${ep.id}/deliveries`)).data;
      return x?.status === 'delivered' ? x : null;
    }, 60_000);
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(new Set(got.map((g) => g.id))).toEqual(new Set([d.event_id]));
    expect(JSON.parse(got.at(-1)!.body)).toMatchObject({ id: d.event_id, type: 'import.completed', data: { object: { id: imp.id, status: 'completed' } } });
  }, 180_000);
});
