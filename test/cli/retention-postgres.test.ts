// The retention, hold and subject commands on a PostgreSQL `database.url`: the same run as
// cli.test.ts (SQLite), with the evidence, tokens and retention tables in PostgreSQL.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgTokenStore } from '../../src/api/tokens-pg.js';
import { holdList, holdSet } from '../../src/cli/commands/hold.js';
import { createPgPool, type PgPool } from '../../src/db/pg.js';
import { openPgEvidenceStore, type PgEvidenceStore } from '../../src/evidence/pg-store.js';
import { createSubject } from '../../src/evidence/subject.js';
import { LocalObjectStore } from '../../src/recordings/storage/index.js';
import { PEPPER } from '../api/evidence-helpers.js';
import { testDatabase } from '../contract/pg-helpers.js';
import { writeCliConfig } from '../retention/cli-config.js';
import { holdSweepEraseScenario, io, RETENTION_EVENT_KINDS } from './retention-scenario.js';

const dbUrl = testDatabase('cl_ret_cli');
const dir = mkdtempSync(join(tmpdir(), 'cl-ret-cli-pg-'));
let evidence: PgEvidenceStore;
let pool: PgPool;
beforeAll(async () => {
  // The database's default schema, as the CLI's database.url names it.
  evidence = await openPgEvidenceStore({ url: dbUrl(), max: 2 });
  pool = createPgPool({ url: dbUrl(), max: 2 });
});
afterAll(async () => {
  await evidence?.close();
  await pool?.end();
  rmSync(dir, { recursive: true, force: true });
});

/** A call in the ledger (with its caller's subject record) and a stored recording of it. */
async function callWithRecording(startedAt: string, number: string) {
  const callId = randomUUID();
  const subject = createSubject(number, PEPPER);
  await evidence.append(
    { callId, kind: 'call.started', at: startedAt, data: { flowId: 'main', did: '+48221234567', caller: subject.commitment } },
    { subject, callOpen: { callId, startedAt, flowId: 'main', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'pbx-1', language: 'pl' } },
  );
  const id = randomUUID();
  const key = `recordings/${startedAt.slice(0, 10)}/${id}.wav.enc`;
  const body = Buffer.from(`recording of ${callId}`);
  const file = join(dir, `${id}.tmp`);
  writeFileSync(file, body);
  const sha256 = createHash('sha256').update(body).digest('hex');
  await new LocalObjectStore({ root: join(dir, 'store') }).put(key, file, { bytes: body.length, sha256 });
  await pool.query(
    `INSERT INTO recordings (id, call_id, source, source_name, found_by, state, disposition, started_at, stopped_at, context_id,
       plaintext_bytes, plaintext_sha256, store, object_key, created_at, updated_at)
     VALUES ($1, $2, 'spool', $3, 'ami', 'done', 'keep', $4, $4, $2, $5, $6, 'local', $7, $4, $4)`,
    [id, callId, `consentline-${id}.wav`, startedAt, body.length, sha256, key],
  );
  return { callId, recordingId: id };
}

describe('CLI on PostgreSQL: retention run, hold, subject', () => {
  it('runs a sweep (dry run first), honours a hold released by two tokens, erases and exports a caller', async () => {
    await holdSweepEraseScenario({
      dir,
      configFile: writeCliConfig(dir, {
        dbUrl: dbUrl(),
        store: `{ type: local, dir: ${JSON.stringify(join(dir, 'store'))} }`,
        retention: '{ default: { recordingsDays: 5, evidenceDays: 3650 } }',
      }),
      tokens: new PgTokenStore(pool),
      callWithRecording,
      recordingState: async (id) => (await pool.query<{ state: string }>('SELECT state FROM recordings WHERE id = $1', [id])).rows[0]!.state,
      async retentionEventKinds() {
        return (await pool.query<{ kind: string }>('SELECT kind FROM events WHERE kind = ANY($1) ORDER BY seq', [RETENTION_EVENT_KINDS])).rows.map((r) => r.kind);
      },
      verify: async () => (await evidence.verify()).ok,
    });
  });

  it('--db postgres://… overrides the configured database', async () => {
    const tokens = new PgTokenStore(pool);
    const t = (await tokens.create('dpo-db', 'dpo')).token;
    const configFile = writeCliConfig(mkdtempSync(join(dir, 'other-')), {
      dbPath: join(dir, 'missing.sqlite'),
      store: `{ type: local, dir: ${JSON.stringify(join(dir, 'store'))} }`,
      retention: '{ default: { recordingsDays: 5 } }',
    });
    const set = io({ CONSENTLINE_TOKEN: t });
    expect(await holdSet.run(['--flow', 'main', '--reason', 'audit', '--config', configFile, '--db', dbUrl(), '--json'], set.cli)).toBe(0);
    const id = (JSON.parse(set.out[0]!) as { id: string }).id;
    const list = io();
    expect(await holdList.run(['--active', '--json', '--config', configFile, '--db', dbUrl()], list.cli)).toBe(0);
    expect((JSON.parse(list.out[0]!) as Array<{ id: string }>).map((h) => h.id)).toContain(id);
  });
});
