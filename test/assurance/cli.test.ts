// `consentline assurance` and `consentline assurance --ack` on a SQLite file: exit 1 while a finding
// is open, 0 once it is acknowledged; --json; progress on a terminal only; bad input is a usage error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { sqliteAssurance } from '../../src/assurance/sql-sqlite.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { cli, fakeTty } from '../cli/helpers.js';

/** Assurance's repository and ledger questions on one SQLite connection, as the SQLite engine builds them. */

const dir = mkdtempSync(join(tmpdir(), 'cl-assurance-cli-'));
const db = join(dir, 'consentline.db');
const env = { CONSENTLINE_DATA_DIR: dir, CONSENTLINE_PEPPER: 'p'.repeat(32) };
let dpo = '';
let auditor = '';

beforeAll(async () => {
  const store = await openSqliteEvidenceStore({ path: db, writerThread: false });
  await store.close();
  const { db: conn } = openSqlite({ path: db });
  const tokens = new SqliteTokenStore(conn);
  dpo = (await tokens.create('dpo-cli', 'dpo', 'anna')).token;
  auditor = (await tokens.create('aud-cli', 'auditor', 'olek')).token;
  // Asterisk says a call entered the consent flow; the ledger has no call for it.
  await sqliteAssurance(conn).repo.insertCel([
    { receivedAt: '2026-03-01T10:00:00.000Z', cel: { eventName: 'APP_START', eventTime: '2026-03-01 11:00:00', uniqueid: '1772359200.7', linkedid: '1772359200.7', channelTech: 'PJSIP', context: 'consentline-inbound', application: 'Stasis', appArg: 'consentline' } },
  ]);
  conn.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('consentline assurance', () => {
  let findingId = '';

  it('exits 1 with the open finding, --json for programs, and writes assurance.run to the ledger', async () => {
    const r = await cli(['assurance', '--db', db, '--from', '2026-03-01', '--to', '2026-03-01', '--json'], env);
    expect(r.code, r.err).toBe(1);
    const report = JSON.parse(r.out) as { open: number; findings: Array<{ id: string; kind: string; subject: string; status: string }>; from: string; to: string };
    expect(report).toMatchObject({ open: 1, from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' });
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'call_without_evidence', subject: 'channel:1772359200.7', status: 'open' })]);
    findingId = report.findings[0]!.id;
    const { db: conn } = openSqlite({ path: db });
    const last = conn.prepare('SELECT kind, data FROM events ORDER BY seq DESC LIMIT 1').get() as { kind: string; data: string };
    conn.close();
    expect(last.kind).toBe('assurance.run');
    expect(JSON.parse(last.data)).toMatchObject({ trigger: 'cli', status: 'done', open: 1, found: { call_without_evidence: 1 } });
  });

  it('prints the findings for a person, with the progress on a terminal only', async () => {
    const tty = fakeTty();
    let t = 0;
    const r = await cli(['assurance', '--db', db, '--from', '2026-03-01T00:00:00Z', '--to', '2026-03-02T00:00:00Z'], env, () => (t += 300), tty);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/OPEN +af-[0-9a-f]{24} {2}call_without_evidence {2}channel:1772359200\.7/);
    expect(r.out).toContain('1 open finding(s) (call_without_evidence 1)');
    expect(tty.text()).toContain('assurance: sources read');
    const piped = await cli(['assurance', '--db', db, '--from', '2026-03-01', '--to', '2026-03-01', '--json'], env, () => 0, fakeTty(false));
    expect(piped.err).not.toContain('sources read');
  });

  it('acknowledges with a DPO token and a reason; then the run exits 0', async () => {
    expect((await cli(['assurance', '--ack', findingId, '--db', db, '--reason', 'x', '--token', auditor], env)).code).toBe(1);
    expect((await cli(['assurance', '--ack', findingId, '--db', db, '--token', dpo], env)).code).toBe(2);
    const ack = await cli(['assurance', '--ack', findingId, '--db', db, '--reason', 'test channel of the PBX vendor', '--token', dpo, '--json'], env);
    expect(ack.code, ack.err).toBe(0);
    expect(JSON.parse(ack.out)).toMatchObject({ id: findingId, status: 'acknowledged', acknowledgedBy: 'anna', ackReason: 'test channel of the PBX vendor' });
    const again = await cli(['assurance', '--ack', findingId, '--db', db, '--reason', 'again', '--token', dpo], env);
    expect(again).toMatchObject({ code: 1, err: expect.stringContaining('is acknowledged') });
    const r = await cli(['assurance', '--db', db, '--from', '2026-03-01', '--to', '2026-03-01'], env);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('ACKNOWLEDGED');
  });

  it('refuses bad windows and ids as usage errors (2)', async () => {
    expect((await cli(['assurance', '--db', db, '--from', '2026-03-02', '--to', '2026-03-01'], env)).code).toBe(2);
    expect((await cli(['assurance', '--db', db, '--from', 'yesterday'], env)).code).toBe(2);
    expect((await cli(['assurance', '--db', db, '--from', '2026-01-01', '--to', '2026-06-01'], env)).code).toBe(2);
    expect((await cli(['assurance', '--ack', 'not-an-id', '--db', db, '--reason', 'x', '--token', dpo], env)).code).toBe(2);
  });
});
