import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../../src/api/tokens.js';
import { parseCsv } from '../../../src/cli/csv.js';
import { openSqlite } from '../../../src/db/sqlite.js';
import { lookupKey } from '../../../src/evidence/subject.js';
import { openSqliteEvidenceStore } from '../../../src/evidence/sqlite-store.js';
import { tempDir } from '../../evidence/helpers.js';
import { appendMarketingCall, appendWithdrawal } from '../../support/marketing-seed.js';
import { cli } from '../helpers.js';

const PEPPER = 'cli-marketing-pepper-0123456789abcdef0123';
let path = '';
const env: Record<string, string> = { CONSENTLINE_PEPPER: PEPPER };
let auditorToken = '';
let root = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  // One ledger for the whole file (the helpers' temp dirs go after each test).
  root = mkdtempSync(join(tmpdir(), 'consentline-mkt-cli-'));
  path = join(root, 'ledger.sqlite');
  const store = await openSqliteEvidenceStore({ path, writerThread: false });
  await appendMarketingCall(store, { callId: 'k-1', number: '+48600200001', decision: 'yes', at: '2026-03-01T09:00:00.000Z', pepper: PEPPER });
  await appendMarketingCall(store, { callId: 'k-2', number: '+48600200002', decision: 'yes', at: '2026-03-01T09:10:00.000Z', pepper: PEPPER });
  await appendWithdrawal(store, { number: '+48600200002', consent: 'marketing', channel: 'letter', reference: 'L-9', at: '2026-03-02T09:00:00.000Z', pepper: PEPPER });
  await store.close();
  const { db } = openSqlite({ path });
  const tokens = new SqliteTokenStore(db);
  env.CONSENTLINE_TOKEN = (await tokens.create('dialer-1', 'dialer')).token;
  auditorToken = (await tokens.create('aud', 'auditor')).token;
  db.close();
});

const events = (kind: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT data FROM events WHERE kind = ? ORDER BY seq').pluck().all(kind) as string[]).map((d) => JSON.parse(d) as Record<string, unknown>);
  } finally {
    db.close();
  }
};

describe('consentline marketing lookup', () => {
  it('answers numbers given as arguments, as dialled, and logs the look-up without them', async () => {
    const r = await cli(['marketing', 'lookup', '600200001', '0048 600 200 002', '+48600200003', 'nope', '--purpose', 'spring campaign', '--db', path], env);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n').map((l) => l.split('\t'));
    expect(lines.map((l) => [l[0], l[1]])).toEqual([['600200001', 'given'], ['0048 600 200 002', 'withdrawn'], ['+48600200003', 'none'], ['nope', 'none']]);
    expect(lines[3]![5]).toBe('not_a_phone_number');
    expect(r.err).toContain('4 number(s): 1 given, 1 withdrawn, 2 none');
    const logged = events('access.logged').pop()!;
    expect(logged).toMatchObject({ route: 'CLI marketing lookup', tokenName: 'dialer-1', role: 'dialer', count: 4, purpose: 'spring campaign' });
    expect(JSON.stringify(logged)).not.toContain('600200001');
    expect(JSON.stringify(logged)).not.toContain(lookupKey(PEPPER, '+48600200001'));
  });

  it('reads a campaign CSV and writes it back with the state columns, quoting kept', async () => {
    const dir = tempDir();
    const input = join(dir, 'campaign.csv');
    const out = join(dir, 'checked.csv');
    writeFileSync(input, 'name,Phone,note\r\n"Kowalski, Jan",+48600200001,"said ""call me"""\r\nNowak,600200002,\r\nZieliński,+48600200009,x\r\n');
    const r = await cli(['marketing', 'lookup', '--csv', input, '--out', out, '--purpose', 'csv campaign', '--db', path], env);
    expect(r.code, r.err).toBe(0);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows[0]).toEqual(['name', 'Phone', 'note', 'marketing_state', 'marketing_since', 'marketing_controller', 'marketing_channels', 'marketing_text_version', 'marketing_how', 'marketing_evidence_seq', 'marketing_evidence_call', 'marketing_problem']);
    expect(rows[1]!.slice(0, 4)).toEqual(['Kowalski, Jan', '+48600200001', 'said "call me"', 'given']);
    expect(rows[1]!.slice(5, 9)).toEqual(['Example Controller Sp. z o.o.', 'phone sms', 'marketing-consent/pl@2', 'call']);
    expect(rows[1]![10]).toBe('k-1');
    expect(rows[2]!.slice(3, 4).concat(rows[2]![8]!)).toEqual(['withdrawn', 'letter']);
    expect(rows[3]![3]).toBe('none');
    expect(events('access.logged').pop()).toMatchObject({ count: 3, purpose: 'csv campaign' });
  });

  it('refuses without a purpose or a token (2), with an auditor token (1), with numbers and --csv at once (2)', async () => {
    expect((await cli(['marketing', 'lookup', '+48600200001', '--db', path], env)).code).toBe(2);
    expect((await cli(['marketing', 'lookup', '+48600200001', '--purpose', 'x', '--db', path], { CONSENTLINE_PEPPER: PEPPER })).code).toBe(2);
    expect((await cli(['marketing', 'lookup', '+48600200001', '--csv', 'x.csv', '--purpose', 'x', '--db', path], env)).code).toBe(2);
    const aud = await cli(['marketing', 'lookup', '+48600200001', '--purpose', 'x', '--db', path], { ...env, CONSENTLINE_TOKEN: auditorToken });
    expect(aud.code).toBe(1);
    expect(aud.err).toContain('dialer or dpo needed');
    expect(aud.out).not.toContain('given');
  });
});

describe('consentline marketing rebuild', () => {
  it('--check passes on an untouched registry, fails (1) after tampering, and a rebuild mends it', async () => {
    expect((await cli(['marketing', 'rebuild', '--check', '--db', path])).out).toContain('registry matches the ledger: 2 entr(ies)');
    const db = new Database(path);
    db.prepare("UPDATE marketing_consents SET state = 'given' WHERE lookup_key = ?").run(lookupKey(PEPPER, '+48600200002'));
    db.close();
    const bad = await cli(['marketing', 'rebuild', '--check', '--db', path]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`differs: ${lookupKey(PEPPER, '+48600200002').slice(0, 12)}… (state)`);
    const json = await cli(['marketing', 'rebuild', '--check', '--json', '--db', path]);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, entries: 2 });
    const fixed = await cli(['marketing', 'rebuild', '--db', path]);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toContain('2 entr(ies); 1 differed before');
    expect((await cli(['marketing', 'rebuild', '--check', '--db', path])).code).toBe(0);
  });
});

describe('consentline consent withdraw', () => {
  it('records a marketing withdrawal by letter with a DPO token; the look-up says withdrawn at once', async () => {
    const { db } = openSqlite({ path });
    const dpo = (await new SqliteTokenStore(db).create('dpo-1', 'dpo')).token;
    db.close();
    const args = ['consent', 'withdraw', '--number', '600 200 001', '--consent', 'marketing', '--channel', 'letter', '--reference', 'L-2026/5', '--db', path];
    const refused = await cli(args, env);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('dpo needed');
    const r = await cli(args, { ...env, CONSENTLINE_TOKEN: dpo });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^marketing consent withdrawn \(letter L-2026\/5\): ledger seq \d+ at /);
    expect(events('consent.withdrawn').pop()).toMatchObject({ consent: 'marketing', channel: 'letter', reference: 'L-2026/5', recordedBy: { tokenName: 'dpo-1' } });
    const look = await cli(['marketing', 'lookup', '+48600200001', '--json', '--purpose', 'after letter', '--db', path], env);
    expect(JSON.parse(look.out).results[0]).toMatchObject({ state: 'withdrawn', how: 'letter' });
    const rec = await cli(['consent', 'withdraw', '--number', '+48600200001', '--consent', 'recording', '--channel', 'email', '--reference', 'E-7', '--json', '--db', path], { ...env, CONSENTLINE_TOKEN: dpo });
    expect(rec.code, rec.err).toBe(0);
    expect(JSON.parse(rec.out).recordings).toEqual({ erasureRequestId: null, toErase: [], objection: [], heldCalls: [] });
    expect((await cli(['marketing', 'rebuild', '--check', '--db', path])).code).toBe(0);
  });

  it('usage errors (2): no reference, an unknown consent or channel, not a number', async () => {
    const base = ['consent', 'withdraw', '--number', '+48600200001', '--consent', 'marketing', '--channel', 'letter', '--db', path];
    expect((await cli(base, env)).code).toBe(2);
    expect((await cli([...base, '--reference', 'x', '--consent', 'all'], env)).code).toBe(2);
    expect((await cli([...base, '--reference', 'x', '--channel', 'fax'], env)).code).toBe(2);
    expect((await cli(['consent', 'withdraw', '--number', 'nope', '--consent', 'marketing', '--channel', 'letter', '--reference', 'x', '--db', path], env)).code).toBe(2);
  });
});
