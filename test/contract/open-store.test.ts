import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { parseDatabaseUrl, redactDatabaseUrl } from '../../src/db/pg-url.js';
import { openEvidenceStore } from '../../src/db/engine.js';
import { openServiceDatabase } from '../../src/db/service-database.js';
import { PgEvidenceStore } from '../../src/evidence/pg-store.js';
import { SqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { databaseTarget, describeTarget } from '../../src/evidence/open-store.js';
import { testDatabase } from './pg-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-open-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dbUrl = testDatabase('cl_open');

const BASE = `
routes:
  agents: { context: consentline-after, extension: agents }
flows:
  - id: hotline
    default: true
    legalBasis: consent_by_conduct
    menu: { "1": { action: route, route: agents } }
    defaultRoute: agents
    fallbackRoute: agents
`;

function load(database: string) {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, `${BASE}\ndatabase: ${database}\n`);
  return loadConfig({ path, env: {} });
}

describe('database.url', () => {
  it('names the problem with a bad URL', () => {
    const cases: [string, RegExp][] = [
      ['{ url: "mysql://db/x" }', /database\.url.*must start with sqlite: or postgres:\/\//],
      ['{ url: "sqlite:" }', /database\.url.*sqlite: needs a file path/],
      ['{ url: "sqlite::memory:" }', /database\.url.*not durable/],
      ['{ url: "postgres://db.example" }', /database\.url.*needs a database name/],
      ['{ url: "postgres://db/x", path: "./a.sqlite" }', /database\.url.*not both/],
    ];
    for (const [yaml, message] of cases) {
      const r = load(yaml);
      expect(r.ok, yaml).toBe(false);
      if (!r.ok) expect(r.problems.join('\n'), yaml).toMatch(message);
    }
  });

  it('sqlite:PATH, postgres://… and the old database.path all pick a target', () => {
    const cfg = (database: object) => ConfigSchema.parse({ ...ConfigSchema.parse(configObject()), database });
    expect(databaseTarget(cfg({ url: 'sqlite:/var/lib/cl/ledger.sqlite' }))).toEqual({ kind: 'sqlite', path: '/var/lib/cl/ledger.sqlite' });
    expect(databaseTarget(cfg({ path: '/srv/x.sqlite' }))).toEqual({ kind: 'sqlite', path: '/srv/x.sqlite' });
    expect(databaseTarget(cfg({}))).toMatchObject({ kind: 'sqlite', path: expect.stringMatching(/consentline\.sqlite$/) });
    const pg = databaseTarget(cfg({ url: 'postgres://cl:s3cret@db:5432/consentline' }));
    expect(pg).toEqual({ kind: 'postgres', url: 'postgres://cl:s3cret@db:5432/consentline' });
    expect(describeTarget(pg)).toBe('postgres://cl:***@db:5432/consentline');
    expect(redactDatabaseUrl('postgresql://cl@db/x')).toBe('postgresql://cl@db/x');
    expect(parseDatabaseUrl('postgresql:///consentline?host=/run/postgresql')).toMatchObject({ ok: true });
  });

  it('openEvidenceStore opens the engine the configuration names', async () => {
    const sqlite = await openEvidenceStore({ service: { dataDir: dir }, database: { url: `sqlite:${join(dir, 'a.sqlite')}` } });
    expect(sqlite.store).toBeInstanceOf(SqliteEvidenceStore);
    await sqlite.store.append({ callId: 'c1', kind: 'call.started', data: {} });
    await sqlite.store.close();

    const pg = await openEvidenceStore({ service: { dataDir: dir }, database: { url: dbUrl() } });
    try {
      expect(pg.store).toBeInstanceOf(PgEvidenceStore);
      expect(await pg.store.append({ callId: 'c1', kind: 'call.started', data: {} })).toMatchObject({ seq: 1 });
    } finally {
      await pg.store.close();
    }
  });

  it('openServiceDatabase hands out every store on the engine the configuration names, closed together', async () => {
    for (const url of [`sqlite:${join(dir, 'service.sqlite')}`, dbUrl()]) {
      const config = ConfigSchema.parse({ ...configObject(), service: { dataDir: dir }, database: { url } });
      const database = await openServiceDatabase(config);
      try {
        expect(database.engine, url).toBe(url.startsWith('sqlite:') ? 'sqlite' : 'postgres');
        await database.store.append({ callId: 'svc-1', kind: 'call.started', data: {} });
        const { token } = await database.tokens.create('ops', 'admin');
        expect(await database.tokens.authenticate(token), url).toMatchObject({ role: 'admin' });
        expect((await database.readSide.queries.timeline('svc-1'))?.events.map((e) => e.kind), url).toEqual(['call.started']);
        expect(await database.recordingsRead.get('no-such-recording'), url).toBeNull();
      } finally {
        await database.close();
      }
      // Closed means closed: the store takes no more appends.
      await expect(database.store.append({ callId: 'svc-2', kind: 'call.started', data: {} }), url).rejects.toThrow();
    }
  });
});

function configObject() {
  return {
    routes: { agents: { context: 'consentline-after', extension: 'agents' } },
    flows: [{ id: 'hotline', default: true, legalBasis: 'consent_by_conduct', menu: { '1': { action: 'route', route: 'agents' } }, defaultRoute: 'agents', fallbackRoute: 'agents' }],
  };
}

describe('PostgreSQL sessions', () => {
  it('commit synchronously even when the server default says otherwise', async () => {
    const { createPgPool } = await import('../../src/db/pg.js');
    const pool = createPgPool({ url: dbUrl(), max: 1 });
    try {
      const c = await pool.connect();
      await c.query("SET synchronous_commit = 'off'").catch(() => undefined);
      c.release(true);
      const { rows } = await pool.query<{ s: string; t: string }>(
        "SELECT current_setting('synchronous_commit') AS s, current_setting('idle_in_transaction_session_timeout') AS t",
      );
      expect(rows[0]).toEqual({ s: 'on', t: '15s' });
    } finally {
      await pool.end();
    }
  });
});
