import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvText } from '../support/contact-files.js';
import { freePort, runCli, spawnCli, until, type ServiceProcess } from '../support/processes.js';
import { createScratchDatabase } from '../support/service.js';

// The CLI as a person runs it in a pipe or a script, against a real server: embedded (one
// `serve` process with its worker), or on PostgreSQL with the API and a worker as separate
// processes. Also what the server logs while it happens: never a whole API key, never a
// signed URL's signature.

const ESC = '\u001b';
let dir: string;
let port: number;
let env: Record<string, string | undefined>;
let apiKey: string;
let drop = async () => {};
const procs: ServiceProcess[] = [];
let api: ServiceProcess;
let webhookSecret = '';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imports-cli-'));
  port = await freePort();
  // Webhooks go to a receiver on loopback here.
  const base: Record<string, string> = { DATA_DIR: dir, LOG_LEVEL: 'info', WORKER_POLL_MS: '100', RATE_LIMIT_PER_MINUTE: '0', WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' };
  if (process.env.DATABASE_URL) {
    const scratch = await createScratchDatabase();
    drop = scratch.drop;
    base.DATABASE_URL = scratch.url;
    const migrated = await runCli(['migrate'], base);
    expect(migrated.status, migrated.stderr).toBe(0);
    api = spawnCli(['serve'], { ...base, PORT: String(port), RUN_WORKER: 'false' });
    procs.push(api, spawnCli(['worker'], base));
  } else {
    api = spawnCli(['serve'], { ...base, PORT: String(port) });
    procs.push(api);
  }
  await api.waitFor('Imports API on');
  const created = await runCli(['keys', 'create', '--org', 'CLI test'], base);
  expect(created.status, created.stderr).toBe(0);
  apiKey = JSON.parse(created.stdout).api_key;
  env = { ...base, IMPORTS_URL: `http://127.0.0.1:${port}`, IMPORTS_API_KEY: apiKey };
}, 600_000);

afterAll(async () => {
  for (const p of procs) await p.kill('SIGTERM');
  await drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, content: string | Buffer) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};

describe('imports through the CLI', () => {
  let importId: string;

  it('imports create --wait in a pipe: plain progress lines, the stats, the first row errors, exit 0', async () => {
    const res = await runCli(['imports', 'create', file('contacts.csv', csvText(',')), '--resource', 'contact', '--wait'], env);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).not.toContain(ESC);
    importId = /import (imp_\w+) created/.exec(res.stdout)![1]!;
    expect(res.stdout).toMatch(/uploaded \d+ B/);
    for (const phase of ['prevalidation', 'preparsing', 'transforming', 'parsing', 'validation', 'processing', 'cleanup']) {
      expect(res.stdout).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d ${phase} completed`));
    }
    expect(res.stdout).toContain(`completed  import ${importId}`);
    expect(res.stdout).toContain('rows 8: created 5, updated 0, unchanged 0, deleted 0, overwritten 0, duplicates 2, errors 1');
    // First row errors: row and the line a person sees (C1's notes span two lines).
    expect(res.stdout).toMatch(/^3\t5\tprevalidation\tinvalid_value\temail\t/m);
  });

  it('--json prints one JSON document with the import and its first errors; a failed import exits non-zero', async () => {
    const ok = await runCli(['--json', 'imports', 'create', file('again.csv', csvText(',')), '--resource', 'contact', '--wait'], env);
    expect(ok.status, ok.stderr).toBe(0);
    const imp = JSON.parse(ok.stdout);
    expect(imp).toMatchObject({ status: 'completed', stats: { total: 8, unchanged: 5, duplicates: 2, errors: 1 } });
    expect(imp.first_errors.map((e: any) => [e.row, e.line])).toEqual([[3, 5], [6, 8], [7, 9]]);

    const bad = await runCli(['imports', 'create', file('empty.csv', '\n\n'), '--resource', 'contact', '--wait'], env);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/failed {2}import imp_\w+: /);
  });

  it('list, get, errors (table, csv file, json), download, records list', async () => {
    const list = await runCli(['imports', 'list'], env);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toBe('id\tresource\taction\tstatus\tcreated_at\trows\tcreated\tupdated\tdeleted\tduplicates\terrors');
    expect(list.stdout).toContain(`${importId}\tcontact\tmerge\tcompleted\t`);
    expect(JSON.parse((await runCli(['imports', 'list', '--json', '--status', 'failed'], env)).stdout)).toHaveLength(1);

    const get = await runCli(['imports', 'get', importId, '--json'], env);
    expect(JSON.parse(get.stdout)).toMatchObject({ id: importId, status: 'completed' });

    const out = path.join(dir, 'errors.csv');
    const errs = await runCli(['imports', 'errors', importId, '--format', 'csv', '-o', out], env);
    expect(errs.status, errs.stderr).toBe(0);
    const csv = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('row,line,phase,code,field,message,data');
    expect(csv).toHaveLength(4);
    expect(csv[1]).toMatch(/^3,5,prevalidation,invalid_value,email,/);

    const dl = await runCli(['imports', 'download', importId, 'errors', '--format', 'json'], env);
    expect(dl.status, dl.stderr).toBe(0);
    expect(JSON.parse(dl.stdout).map((e: any) => e.line)).toEqual([5, 8, 9]);
    const up = await runCli(['imports', 'download', importId, 'upload'], env);
    expect(up.stdout).toContain('External ID');

    const rec = await runCli(['records', 'list', 'contact', '--external-id', 'C1', '--json'], env);
    expect(rec.status, rec.stderr).toBe(0);
    expect(JSON.parse(rec.stdout)).toEqual([expect.objectContaining({ external_id: 'C1', email: 'zoe@example.com' })]);

    const watch = await runCli(['imports', 'watch', importId], env);
    expect(watch.status).toBe(0);
  });

  it('imports revert: refused with the reason (mass delete), then --allow-mass-delete --wait takes the import back; a second revert says which one did', async () => {
    const refused = await runCli(['imports', 'revert', importId], env);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('409 mass_delete_refused');
    const res = await runCli(['imports', 'revert', importId, '--allow-mass-delete', '--wait'], env);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    const revertId = new RegExp(`import (imp_\\w+) reverts ${importId}`).exec(res.stdout)![1]!;
    expect(res.stdout).toContain('completed');
    expect((await runCli(['imports', 'get', revertId], env)).stdout).toContain(`reverts ${importId}`);
    expect((await runCli(['imports', 'get', importId], env)).stdout).toContain(`reverted by ${revertId}`);
    const rec = await runCli(['records', 'list', 'contact', '--external-id', 'C1', '--json'], env);
    expect(JSON.parse(rec.stdout)).toEqual([]);
    const again = await runCli(['imports', 'revert', importId, '--json'], env);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('already_reverted');
    expect(again.stderr).toContain(revertId);
    // The revert is an import of its own, and revertable: the contacts come back.
    const back = await runCli(['imports', 'revert', revertId, '--wait', '--json'], env);
    expect(back.status, back.stdout + back.stderr).toBe(0);
    expect(JSON.parse((await runCli(['records', 'list', 'contact', '--external-id', 'C1', '--json'], env)).stdout)).toHaveLength(1);
  });

  it('imports create --dry-run: the forecast, then changes and results; nothing is changed', async () => {
    const res = await runCli(['imports', 'create', file('dry.csv', 'external_id,name\nC1,Renamed By Dry Run\nDRY1,New One\n'), '--resource', 'contact', '--dry-run', '--wait'], env);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    const id = /import (imp_\w+) created/.exec(res.stdout)![1]!;
    expect(res.stdout).toContain('dry run: nothing will be changed');
    expect(res.stdout).toContain(`completed  import ${id} (dry run)`);
    expect(res.stdout).toContain('nothing was changed. A real run of this file would do:');
    expect(res.stdout).toContain('rows 2: created 1, updated 1, unchanged 0');
    expect(res.stdout).toContain(`npm run cli -- imports changes ${id}`);

    const changes = await runCli(['imports', 'changes', id], env);
    expect(changes.status, changes.stderr).toBe(0);
    expect(changes.stdout).toMatch(/^created\tcontact\tcon_\w+\texternal_id "DRY1"$/m);
    expect(changes.stdout).toMatch(/^updated\tcontact\tcon_\w+\tname: "[^"]+" → "Renamed By Dry Run"$/m);
    const created = JSON.parse((await runCli(['imports', 'changes', id, '--json', '--change', 'created'], env)).stdout);
    expect(created).toEqual([expect.objectContaining({ change: 'created', resource: 'contact', before: null, after: expect.objectContaining({ external_id: 'DRY1' }) })]);

    const results = await runCli(['imports', 'download', id, 'results'], env);
    expect(results.status, results.stderr).toBe(0);
    // The CSV downloads start with a BOM and end lines with CRLF (RFC 4180), as spreadsheets expect.
    expect(results.stdout.replace(/^\uFEFF/, '').trim().split('\r\n')).toEqual(['row,line,outcome,record_id,error_code', expect.stringMatching(/^1,2,updated,con_\w+,$/), expect.stringMatching(/^2,3,created,con_\w+,$/)]);

    expect(JSON.parse((await runCli(['records', 'list', 'contact', '--external-id', 'DRY1', '--json'], env)).stdout)).toEqual([]);
    const c1 = JSON.parse((await runCli(['records', 'list', 'contact', '--external-id', 'C1', '--json'], env)).stdout);
    expect(c1[0].name).not.toBe('Renamed By Dry Run');
  });

  it('Ctrl-C while watching stops watching and leaves the import alone', async () => {
    const created = await fetch(`http://127.0.0.1:${port}/v1/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ resource: 'contact', action: 'merge', upload_mode: 'async' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const watch = spawnCli(['imports', 'watch', created.id], env);
    procs.push(watch);
    await watch.waitFor(`import ${created.id} requested`, 120_000);
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(130);
    expect(watch.output()).toContain('was not cancelled');
    const get = await runCli(['imports', 'get', created.id, '--json'], env);
    expect(JSON.parse(get.stdout).status).toBe('requested');
  });

  it('says what is wrong: a bad key (401), a missing file, a bad --map', async () => {
    const unauthorized = await runCli(['imports', 'list'], { ...env, IMPORTS_API_KEY: 'sk_wrong' });
    expect(unauthorized.status).toBe(1);
    expect(unauthorized.stderr).toContain('401 unauthorized');
    const missing = await runCli(['imports', 'create', path.join(dir, 'nope.csv'), '--resource', 'contact'], env);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no such file');
    const map = await runCli(['imports', 'create', path.join(dir, 'contacts.csv'), '--resource', 'contact', '--map', 'email'], env);
    expect(map.status).toBe(1);
    expect(map.stderr).toContain('expected field=Header');
  });

  it('webhooks create, list, deliveries (and --resend): the worker delivers a signed event', async () => {
    const got: string[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const created = await runCli(['webhooks', 'create', url, '--event', 'import.completed', 'import.failed'], env);
      expect(created.status, created.stderr).toBe(0);
      const id = /webhook endpoint (we_\w+) created/.exec(created.stdout)![1]!;
      webhookSecret = /signing secret: (whsec_\S+)/.exec(created.stdout)![1]!;
      const list = await runCli(['webhooks', 'list'], env);
      expect(list.stdout.split('\n')[0]).toBe('id\turl\tevents\tenabled\tcreated');
      expect(list.stdout).toContain(`${id}\t${url}\timport.completed import.failed\tyes\t`);
      expect(list.stdout).not.toContain(webhookSecret);

      const imp = await runCli(['imports', 'create', file('hooked.csv', csvText(',')), '--resource', 'contact', '--wait'], env);
      expect(imp.status, imp.stderr).toBe(0);
      const importId = /import (imp_\w+) created/.exec(imp.stdout)![1]!;
      await until('the delivery', async () => got.length >= 1, 60_000);
      expect(JSON.parse(got[0]!)).toMatchObject({ type: 'import.completed', data: { object: { id: importId } } });

      const deliveries = await runCli(['webhooks', 'deliveries', id], env);
      expect(deliveries.status, deliveries.stderr).toBe(0);
      expect(deliveries.stdout).toMatch(new RegExp(`^whd_\\w+\\timport\\.completed\\t${importId}\\tdelivered\\t1\\t204\\t$`, 'm'));
      const [d] = JSON.parse((await runCli(['--json', 'webhooks', 'deliveries', id], env)).stdout);
      const resend = await runCli(['webhooks', 'deliveries', id, '--resend', d.id], env);
      expect(resend.stdout).toContain(`delivery ${d.id} will be sent again`);
      await until('the re-sent delivery', async () => got.length >= 2, 60_000);
      expect(got[1]).toBe(got[0]);
      const bad = await runCli(['webhooks', 'create', 'ftp://x', '--event', 'import.completed'], env);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('http or https');
    } finally {
      receiver.close();
    }
  });

  it('the server log holds no whole API key and no signature', async () => {
    const log = api.output();
    const jsonLines = log.split('\n').filter((l) => l.startsWith('{'));
    expect(jsonLines.length).toBeGreaterThan(10);
    // The requests were logged (so this is not vacuous), with the upload URL's signature replaced.
    expect(log).toMatch(/"url":"\/v1\/uploads\/imp_\w+\?[^"]*signature=\[redacted\]/);
    expect(log).not.toContain(apiKey);
    expect(webhookSecret).toMatch(/^whsec_/);
    expect(log).not.toContain(webhookSecret);
    expect(log).not.toMatch(/signature=[0-9a-f]{16}/);
    // Nothing shaped like a whole key in any log line; on the embedded database the demo key
    // was printed to the terminal at the start, outside the JSON log.
    for (const l of jsonLines) expect(l).not.toMatch(/sk_[A-Za-z0-9_-]{20}/);
    if (!process.env.DATABASE_URL) expect(log).toMatch(/^API key: sk_[A-Za-z0-9_-]{43}$/m);
    else expect(log).not.toContain('API key:'); // no demo organization on PostgreSQL unless DEMO_ORG=true
  });
});

describe('review before running through the CLI', () => {
  it('create --review prints the preview and leaves the import waiting; start --map runs it; a second start fails', async () => {
    const csv = file('people.csv', 'Email,First Name,Last Name,Handy\nada@example.com,Ada,Lovelace,+44 1\nalan@example.com,Alan,Turing,\n');
    const created = await runCli(['imports', 'create', csv, '--resource', 'contact', '--review'], env);
    expect(created.status, created.stdout + created.stderr).toBe(0);
    expect(created.stdout).not.toContain(ESC);
    const id = /import (imp_\w+) is waiting to start; its file: csv, utf-8, comma-separated, 4 columns/.exec(created.stdout)![1]!;
    expect(created.stdout).toContain('column\tfield\tmatch\nEmail\temail\tnormalised\nFirst Name\t(ignored)\t\nLast Name\t(ignored)\t\nHandy\t(ignored)\t\n');
    expect(created.stdout).toContain('missing required fields: name');
    expect(created.stdout).toContain('Email\tFirst Name\tLast Name\tHandy\nada@example.com\tAda\tLovelace\t+44 1\nalan@example.com\tAlan\tTuring\t\n');
    expect(created.stdout).toContain(`npm run cli -- imports start ${id} --map name="<column>"`);
    expect(JSON.parse((await runCli(['imports', 'get', id, '--json'], env)).stdout)).toMatchObject({ status: 'requested', awaiting_start: true });

    const preview = JSON.parse((await runCli(['--json', 'imports', 'preview', id], env)).stdout);
    expect(preview).toMatchObject({ object: 'import_preview', import_id: id, missing_required: ['name'] });

    const noColumn = await runCli(['imports', 'start', id, '--map', 'name=Full Name'], env);
    expect(noColumn.status).toBe(1);
    expect(noColumn.stderr).toContain('The file has no column "Full Name"; its columns: "Email", "First Name", "Last Name", "Handy".');
    const badField = await runCli(['imports', 'start', id, '--map', 'nme=First Name'], env);
    expect(badField.status).toBe(1);
    expect(badField.stderr).toContain('400 invalid_column_mapping');

    const started = await runCli(['imports', 'start', id, '--map', 'name=First Name', '--map', 'phone=Handy', '--wait'], env);
    expect(started.status, started.stdout + started.stderr).toBe(0);
    expect(started.stdout).toContain(`completed  import ${id}`);
    expect(started.stdout).toContain('rows 2: created 2');
    const imp = JSON.parse((await runCli(['imports', 'get', id, '--json'], env)).stdout);
    expect(imp.column_mapping).toEqual({ email: 'Email', name: 'First Name', phone: 'Handy' });

    const again = await runCli(['imports', 'start', id], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('409 invalid_state');
  }, 300_000); // nine CLI processes, each a few seconds to start on a busy machine
});
