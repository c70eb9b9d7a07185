import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultMigrationsDir } from '../../src/db/migrations.js';
import { openReadSide } from '../../src/db/engine.js';
import { GENESIS_HASH } from '../../src/evidence/chain.js';
import { linkMatches, type ScanRow } from '../../src/evidence/chain-scan.js';
import { pgChainRows } from '../../src/evidence/checkpoint-pg.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { createPgPool } from '../../src/db/pg.js';
import { freshSchema, testDatabase } from './pg-helpers.js';
import { readSideContract, type ReadSideLedger } from './read-side.contract.js';

const dbUrl = testDatabase('cl_read');

/** Runs statements as an attacker with DDL rights would: the append-only triggers dropped first. */
async function attacker(schema: string, sql: string, values: unknown[]): Promise<void> {
  const c = new pg.Client({ connectionString: dbUrl(), options: `-c search_path=${schema}` });
  await c.connect();
  try {
    await c.query('DROP TRIGGER IF EXISTS events_no_update ON events; DROP TRIGGER IF EXISTS events_no_delete ON events');
    await c.query(sql, values);
  } finally {
    await c.end();
  }
}

function pgLedger(schema: string): ReadSideLedger {
  return {
    async store() {
      const store = await openPgEvidenceStore({ url: dbUrl(), schema, max: 2 });
      onTestFinished(() => store.close());
      return store;
    },
    async readSide(opts = {}) {
      const side = await openReadSide({ kind: 'postgres', url: dbUrl() }, { schema, poolSize: 3, ...opts });
      onTestFinished(() => side.close());
      return side;
    },
    tamper: {
      setData: (seq, data) => attacker(schema, 'UPDATE events SET data = $1 WHERE seq = $2', [data, seq]),
      setHash: (seq, hash) => attacker(schema, 'UPDATE events SET hash = $1 WHERE seq = $2', [hash, seq]),
      delete: (seq) => attacker(schema, 'DELETE FROM events WHERE seq = $1', [seq]),
    },
    async merkleNodes() {
      const c = new pg.Client({ connectionString: dbUrl(), options: `-c search_path=${schema}` });
      await c.connect();
      try {
        const { rows } = await c.query<{ level: number; idx: string; hash: string }>("SELECT level, idx, encode(hash, 'hex') AS hash FROM merkle_nodes ORDER BY level, idx");
        return rows.map((r) => ({ level: r.level, idx: Number(r.idx), hash: r.hash }));
      } finally {
        await c.end();
      }
    },
  };
}

readSideContract({ name: 'postgres', ledger: async () => pgLedger(freshSchema()) });

describe('migrations 0011 and 0052 on PostgreSQL', () => {
  it('counts the facts of events stored before it, then keeps counting', async () => {
    const schema = freshSchema();
    const dir = mkdtempSync(join(tmpdir(), 'consentline-mig-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(defaultMigrationsDir('postgres'), dir, { recursive: true, filter: (src) => !/(0011_call_facts|0052_call_day_stats)\.sql$/.test(src) });
    const before = await openPgEvidenceStore({ url: dbUrl(), schema, max: 2, migrationsDir: dir });
    const open = { callId: 'c1', startedAt: '2026-03-01T09:00:00.000Z', flowId: 'main', did: '+48221111111', legalBasis: 'x', server: null, language: null };
    await before.append({ callId: 'c1', kind: 'call.started', data: {} }, { callOpen: open });
    await before.append({ callId: 'c1', kind: 'prompt.played', data: { step: 'notice', playback: 'completed' } });
    await before.append({ callId: 'c1', kind: 'clause.listened', data: {} });
    await before.append({ callId: 'c1', kind: 'call.abandoned', data: { step: 'menu' } });
    await before.close();

    const ledger = pgLedger(schema);
    const side = await ledger.readSide();
    const day = { fromDay: '2026-03-01', toDay: '2026-03-01' };
    expect(await side.queries.stats(day)).toMatchObject([{ calls: 1, noticeCompleted: 1, clauseListens: 1, abandonedDuringNotice: 0, objections: 0 }]);
    // 0052 fills the overview's counters from the calls and facts already there.
    expect(await side.queries.overview(day)).toMatchObject([{ calls: 1, clauseListens: 1, open: 1, language: null }]);
    const after = await ledger.store();
    await Promise.all([
      after.append({ callId: 'c1', kind: 'clause.listened', data: {} }),
      after.append({ callId: 'c1', kind: 'objection.made', data: {} }),
      after.append({ callId: 'c1', kind: 'call.abandoned', data: { step: 'notice' } }),
    ]);
    expect(await side.queries.stats(day)).toMatchObject([{ calls: 1, noticeCompleted: 1, clauseListens: 2, abandonedDuringNotice: 1, objections: 1 }]);
    expect(await side.queries.overview(day)).toMatchObject([{ calls: 1, clauseListens: 2 }]);
  });
});

describe('the scan reads on PostgreSQL', () => {
  it("builds the link text of the writer's rows, so the scan hashes it as it stands (no row read whole)", async () => {
    const schema = freshSchema();
    const store = await pgLedger(schema).store();
    for (const digit of ['1', '2', '3']) await store.append({ callId: 'c1', kind: 'dtmf.received', data: { digit, note: 'żółw "q"\n' } });
    const pool = createPgPool({ url: dbUrl(), schema, max: 1 });
    onTestFinished(() => pool.end());
    const rows: ScanRow[] = [];
    for await (const page of pgChainRows(pool).pages(1, 3)) rows.push(...page);
    expect(rows.map((r) => r[0])).toEqual([1, 2, 3]);
    rows.forEach((r, i) => expect(linkMatches(r, i === 0 ? GENESIS_HASH : rows[i - 1]![1]), String(r[0])).toBe(true));
  });
});
