import { afterAll, beforeAll, expect, it } from 'vitest';
import { startService, type TestService } from '../support/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ RATE_LIMIT_PER_MINUTE: '5' });
});
afterAll(async () => svc?.close());

it('429 past the per-key limit, with Retry-After and a body that says when to retry; other keys unaffected', async () => {
  const key = await svc.newOrg();
  for (let i = 0; i < 5; i++) expect((await svc.call('GET', '/v1/imports', key)).status).toBe(200);
  const res = await svc.app.inject({ method: 'GET', url: '/v1/imports', headers: { authorization: `Bearer ${key}` } });
  expect(res.statusCode).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limited', details: { limit_per_minute: 5 } } });
  expect(res.json().error.message).toMatch(/retry in \d+ s/);
  expect((await svc.call('GET', '/v1/imports', await svc.newOrg())).status).toBe(200);
  expect((await svc.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
});
