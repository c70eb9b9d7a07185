import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { createSubject } from '../../src/evidence/subject.js';
import { callOpen } from '../contract/evidence-store.contract.js';
import { testDatabase } from '../contract/pg-helpers.js';
import { cli } from './helpers.js';

const dbUrl = testDatabase('cl_cli');
const dir = mkdtempSync(join(tmpdir(), 'cl-cli-pg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI on a PostgreSQL database (--db postgres://… or CONSENTLINE_DATABASE_URL)', () => {
  it('tokens, ledger verify, a call’s evidence and a checkpoint work as on SQLite', async () => {
    const store = await openPgEvidenceStore({ url: dbUrl(), max: 2 });
    const subject = createSubject('+48600100200', 'pepper');
    await store.append({ callId: 'call-1', kind: 'call.started', data: { commitment: subject.commitment } }, { subject, callOpen: callOpen('call-1') });
    await store.append({ callId: 'call-1', kind: 'objection.made', data: { step: 'menu' } });
    await store.close();

    const created = await cli(['token', 'create', '--role', 'auditor', '--name', 'ops', '--db', dbUrl()]);
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/^clt_/);
    const listed = await cli(['token', 'list'], { CONSENTLINE_DATABASE_URL: dbUrl() });
    expect(listed.out).toMatch(/auditor .* ops/);
    expect(listed.out).toMatch(/1 token\(s\), 1 live/);

    const verified = await cli(['ledger', 'verify', '--db', dbUrl()]);
    expect(verified.code).toBe(0);
    expect(verified.out).toMatch(/OK/);
    const timeline = await cli(['evidence', 'call-1'], { CONSENTLINE_DATABASE_URL: dbUrl() });
    expect(timeline.code).toBe(0);
    expect(timeline.out).toMatch(/objection\.made/);

    const noKey = await cli(['checkpoint', 'create', '--db', dbUrl()]);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toMatch(/--key is required/);
    const signed = await cli(['checkpoint', 'create', '--db', dbUrl(), '--key', join(dir, 'cp.pem')]);
    expect(signed.code).toBe(0);
    expect(signed.err).toMatch(/signed a checkpoint at tree size 2/);
  });

  it('a malformed database URL is a usage error', async () => {
    const bad = await cli(['ledger', 'verify', '--db', 'postgres://db.example']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--db: .*database name/);
  });
});
