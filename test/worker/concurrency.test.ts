import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { openPostgres } from '../../src/db/pg.js';
import { createOrganizationWithKey } from '../../src/tenancy/api-keys.js';
import { claimNext } from '../../src/lifecycle/transitions.js';
import { spawnWorker, until } from '../support/processes.js';
import { startSharedApi, type SharedApi } from '../support/shared-api.js';

// Many workers on one PostgreSQL: claims never collide, one import per (organization, resource)
// processes at a time, and one organization's queue does not starve another's.
// Several processes share one database, which PGlite cannot do: PostgreSQL only (DATABASE_URL).
const pgOnly = describe.skipIf(!process.env.DATABASE_URL);

let db: Db;
let url: string;
let app: SharedApi['app'];
let shared: SharedApi;

pgOnly('many workers', () => {
  beforeAll(async () => {
    shared = await startSharedApi();
    ({ db, url, app } = shared);
  });
  afterAll(async () => shared?.close());

  const rows = (resource: string, n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => (resource === 'item' ? { external_id: `${tag}${i}`, name: `Item ${i}` } : { external_id: `${tag}${i}`, name: `Person ${i}` }));

  async function create(key: string, resource: string, tag: string): Promise<string> {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: { authorization: `Bearer ${key}` },
      payload: { resource, action: 'merge', upload_mode: 'sync', data: rows(resource, 3000, tag) },
    });
    return res.json().id;
  }

  it('two workers racing for one import: exactly one claims it', async () => {
    const { api_key } = await createOrganizationWithKey(db, 'race');
    const id = await create(api_key, 'item', 'R');
    const other = await openPostgres(url, { max: 1 });
    try {
      const claims = await Promise.all([claimNext(db, 'w1', 60), claimNext(other, 'w2', 60), claimNext(db, 'w3', 60)]);
      expect(claims.filter((c) => c?.id === id)).toHaveLength(1);
    } finally {
      await other.close();
      await db.query(`UPDATE imports SET status = 'queued', lease_owner = NULL WHERE id = $1`, [id]);
    }
  });

  it('three workers, six imports of two organizations: both progress, never two at once per (organization, resource)', async () => {
    await db.query(`UPDATE imports SET status = 'failed' WHERE status IN ('queued', 'processing')`); // from the race test
    const a = (await createOrganizationWithKey(db, 'A')).api_key;
    const b = (await createOrganizationWithKey(db, 'B')).api_key;
    const ids = [
      await create(a, 'contact', 'A1'),
      await create(a, 'contact', 'A2'),
      await create(a, 'item', 'A3'),
      await create(a, 'item', 'A4'),
      await create(b, 'contact', 'B1'),
      await create(b, 'item', 'B2'),
    ];
    const workers = [spawnWorker(url), spawnWorker(url), spawnWorker(url)];
    const samples: { org: string; resource: string; status: string; id: string }[][] = [];
    try {
      await until(
        'all six imports',
        async () => {
          const res = await db.query<{ org: string; resource: string; status: string; id: string }>(
            `SELECT o.name AS org, i.resource, i.status, i.id FROM imports i JOIN organizations o ON o.id = i.organization_id WHERE i.id = ANY($1)`,
            [ids],
          );
          samples.push(res.rows);
          return res.rows.every((r) => r.status === 'completed');
        },
        180_000,
        25,
      );
    } finally {
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    }
    for (const s of samples) {
      const running = s.filter((r) => r.status === 'processing').map((r) => `${r.org}/${r.resource}`);
      expect(new Set(running).size).toBe(running.length);
    }
    // B's first import started while A still had imports waiting: A's queue did not starve B.
    const bStarted = samples.findIndex((s) => s.some((r) => r.org === 'B' && r.status !== 'queued'));
    expect(bStarted).toBeGreaterThanOrEqual(0);
    expect(samples[bStarted]!.filter((r) => r.org === 'A' && r.status === 'queued').length).toBeGreaterThan(0);
  });
});
