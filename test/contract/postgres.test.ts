import pg from 'pg';
import { expect, onTestFinished } from 'vitest';
import { PgTokenStore } from '../../src/api/tokens-pg.js';
import { defaultMigrationsDir } from '../../src/db/migrations.js';
import { createPgPool } from '../../src/db/pg.js';
import { migratePg } from '../../src/db/pg-migrations.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import type { Engine, Ledger } from './engine.js';
import { evidenceStoreContract } from './evidence-store.contract.js';
import { freshSchema, testDatabase } from './pg-helpers.js';

const dbUrl = testDatabase();

/** One connection in the ledger's schema, closed after the test. */
async function connect(schema: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: dbUrl(), options: `-c search_path=${schema}` });
  await c.connect();
  onTestFinished(() => c.end());
  return c;
}

/** Runs `sql` as an attacker with DDL rights would: the append-only triggers dropped first. */
async function tamper(schema: string, ...sql: [string, unknown[]][]): Promise<void> {
  const c = await connect(schema);
  await c.query('DROP TRIGGER IF EXISTS events_no_update ON events; DROP TRIGGER IF EXISTS events_no_delete ON events');
  for (const [text, values] of sql) await c.query(text, values);
}

function pgLedger(schema: string): Ledger {
  return {
    open: (opts = {}) => openPgEvidenceStore({ url: dbUrl(), schema, max: 3, ...opts }),
    async tokens() {
      const pool = createPgPool({ url: dbUrl(), schema, max: 2 });
      onTestFinished(() => pool.end());
      await migratePg(pool, defaultMigrationsDir('postgres'), schema);
      return new PgTokenStore(pool);
    },
    async storedData(seq) {
      const c = await connect(schema);
      return (await c.query<{ data: string }>('SELECT data::text AS data FROM events WHERE seq = $1', [seq])).rows[0]!.data;
    },
    async subjectRows() {
      const c = await connect(schema);
      return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM subjects')).rows[0]!.n);
    },
    tamper: {
      setData: (seq, data) => tamper(schema, ['UPDATE events SET data = $1 WHERE seq = $2', [data, seq]]),
      setAt: (seq, at) => tamper(schema, ['UPDATE events SET at = $1 WHERE seq = $2', [at, seq]]),
      setCallId: (seq, c) => tamper(schema, ['UPDATE events SET call_id = $1 WHERE seq = $2', [c, seq]]),
      delete: (seq) => tamper(schema, ['DELETE FROM events WHERE seq = $1', [seq]]),
      swap: (a, b) =>
        tamper(
          schema,
          ['UPDATE events SET seq = $1 WHERE seq = $2', [-a, a]],
          ['UPDATE events SET seq = $1 WHERE seq = $2', [a, b]],
          ['UPDATE events SET seq = $1 WHERE seq = $2', [b, -a]],
        ),
      insertBelowOne: () =>
        tamper(schema, [
          'INSERT INTO events (seq, call_id, at, kind, data, prev_hash, hash) SELECT 0, call_id, at, kind, data, $1, hash FROM events WHERE seq = 1',
          ['f'.repeat(64)],
        ]),
      async casualEdits() {
        const c = await connect(schema);
        const errors: string[] = [];
        for (const sql of ["UPDATE events SET data = '{}' WHERE seq = 2", 'DELETE FROM events WHERE seq = 2', 'TRUNCATE events']) {
          await c.query(sql).catch((err: Error) => errors.push(err.message));
        }
        // TRUNCATE is refused too, but the contract counts the two edits both engines share.
        expect(errors[2]).toMatch(/append-only/);
        return errors.slice(0, 2);
      },
    },
  };
}

const engine: Engine = {
  name: 'postgres',
  migrationsDir: defaultMigrationsDir('postgres'),
  async ledger() {
    return pgLedger(freshSchema());
  },
  async migrationTarget() {
    const schema = freshSchema();
    return {
      async migrate(dir) {
        // Its own pool per call, like separate instances starting together.
        const pool = createPgPool({ url: dbUrl(), schema, max: 1 });
        try {
          return await migratePg(pool, dir, schema);
        } finally {
          await pool.end();
        }
      },
      async tables(names) {
        const c = await connect('public');
        const { rows } = await c.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)',
          [schema, names],
        );
        return rows.map((r) => r.table_name);
      },
      async query(sql) {
        return (await (await connect(schema)).query(sql)).rows as Record<string, unknown>[];
      },
    };
  },
};

evidenceStoreContract(engine);
