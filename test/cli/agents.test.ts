/**
 * `consentline agents list|show|set|remove`: the registry from the command line, DPO token for
 * changes, the document hashed here when given as a file, and each change in the ledger.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { cli } from './helpers.js';

const PEPPER = 'cli-agents-pepper-0123456789abcdef0123456';
let root = '';
let path = '';
const env: Record<string, string> = { CONSENTLINE_PEPPER: PEPPER };
let auditor = '';
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'consentline-agents-cli-'));
  path = join(root, 'ledger.sqlite');
  const store = await openSqliteEvidenceStore({ path, writerThread: false });
  await store.close();
  const { db } = openSqlite({ path });
  const tokens = new SqliteTokenStore(db);
  env.CONSENTLINE_TOKEN = (await tokens.create('dpo-1', 'dpo', 'anna.dpo')).token;
  auditor = (await tokens.create('aud', 'auditor')).token;
  db.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const agentEvents = () => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT kind, data FROM events WHERE kind LIKE 'agent.%' ORDER BY seq").all() as { kind: string; data: string }[]).map((r) => ({ kind: r.kind, data: JSON.parse(r.data) as Record<string, unknown> }));
  } finally {
    db.close();
  }
};

describe('consentline agents', () => {
  it('set with --document hashes the file; list and show say whether the agent is recorded today', async () => {
    const doc = join(root, 'monitoring-notice.pdf');
    writeFileSync(doc, 'Informacja o monitoringu rozmów, wersja 2026-05');
    const sha = createHash('sha256').update('Informacja o monitoringu rozmów, wersja 2026-05').digest('hex');
    const set = await cli(['agents', 'set', 'agent-21', '--interface', 'PJSIP/121', '--interface', 'Local/121@agents', '--informed-on', day(3), '--document-version', '2026-05', '--document', doc, '--db', path], env);
    expect(set.code, set.err).toBe(0);
    expect(set.out).toMatch(/^created:/);
    expect(set.out).toContain('NOT recorded: employee_notice_too_recent (3 of 14 days)');
    const again = await cli(['agents', 'set', 'agent-21', '--interface', 'PJSIP/121', '--language', 'en', '--informed-on', day(15), '--document-version', '2026-05', '--document-sha256', sha, '--db', path], env);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('recorded (notice 15 days old)');
    const show = await cli(['agents', 'show', 'agent-21', '--json', '--db', path], env);
    expect(JSON.parse(show.out)).toMatchObject({ agentId: 'agent-21', interfaces: ['PJSIP/121'], language: 'en', notice: { documentSha256: sha }, recordable: { status: 'ok' } });
    const list = await cli(['agents', 'list', '--db', path], env);
    expect(list.out).toContain('agent-21  PJSIP/121  lang en');
    expect(list.out).toContain('1 agent(s); notice needed at least 14 days before recording');
    const ledger = agentEvents();
    expect(ledger.map((e) => e.data['change'])).toEqual(['created', 'updated']);
    expect(ledger[0]!.data).toMatchObject({ agentId: 'agent-21', interfaces: 2, notice: { documentSha256: sha } });
    expect(JSON.stringify(ledger)).not.toContain('anna.dpo');
    expect(JSON.stringify(ledger)).not.toContain('PJSIP');
  });

  it('needs a DPO token for changes; bad options are usage errors (exit 2)', async () => {
    const noToken = await cli(['agents', 'set', 'agent-22', '--interface', 'PJSIP/122', '--not-informed', '--db', path], { CONSENTLINE_PEPPER: PEPPER });
    expect(noToken.code).toBe(2);
    const asAuditor = await cli(['agents', 'set', 'agent-22', '--interface', 'PJSIP/122', '--not-informed', '--token', auditor, '--db', path], env);
    expect(asAuditor.code).toBe(1);
    expect(asAuditor.err).toMatch(/dpo needed/);
    expect((await cli(['agents', 'set', 'agent-22', '--not-informed', '--db', path], env)).code).toBe(2);
    expect((await cli(['agents', 'set', 'agent-22', '--interface', 'PJSIP/122', '--informed-on', day(20), '--document-version', '1', '--db', path], env)).code).toBe(2);
    expect((await cli(['agents', 'set', 'Jan Kowalski', '--interface', 'PJSIP/122', '--not-informed', '--db', path], env)).code).toBe(2);
    const taken = await cli(['agents', 'set', 'agent-22', '--interface', 'PJSIP/121', '--not-informed', '--db', path], env);
    expect(taken.code).toBe(1);
    expect(taken.err).toContain('belongs to agent agent-21');
    expect((await cli(['agents', 'show', 'agent-22', '--db', path], env)).code).toBe(1);
  });

  it('remove takes the agent out and says so in the ledger; removing again fails', async () => {
    expect((await cli(['agents', 'set', 'agent-23', '--interface', 'PJSIP/123', '--not-informed', '--db', path], env)).code).toBe(0);
    const rm = await cli(['agents', 'remove', 'agent-23', '--db', path], env);
    expect(rm.code, rm.err).toBe(0);
    expect((await cli(['agents', 'remove', 'agent-23', '--db', path], env)).code).toBe(1);
    expect(agentEvents().at(-1)).toMatchObject({ kind: 'agent.removed', data: { agentId: 'agent-23' } });
  });
});
