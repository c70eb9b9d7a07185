// Ledgers on each engine for the checkpoint-aware verification tests (CLI and API), with the
// edits an attacker holding write access to the database makes: triggers dropped, hashes
// recomputed so the chain stays internally consistent.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { onTestFinished } from 'vitest';
import { PgTokenStore } from '../../src/api/tokens-pg.js';
import { SqliteTokenStore, type TokenStore } from '../../src/api/tokens.js';
import { DEFAULT_CHECKPOINT_ORIGIN, defaultCheckpointKeyPath } from '../../src/cli/commands/checkpoint.js';
import { openPg } from '../../src/db/pg.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { hashEvent } from '../../src/evidence/chain.js';
import { loadOrCreateSigner } from '../../src/evidence/checkpoint.js';
import { MemoryTree, eventLeafHash, treeRoot } from '../../src/evidence/merkle.js';
import { openReadSide } from '../../src/db/engine.js';
import type { ReadSide } from '../../src/evidence/open-read-side.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import type { EvidenceStore } from '../../src/evidence/store.js';
import type { StoredEvent } from '../../src/evidence/types.js';
import { tamper as sqliteAttacker } from '../evidence/helpers.js';
import { PG_SERVER } from './pg-helpers.js';

/** The origin the ledgers below are signed with: the CLI's default, as `consentline checkpoint create` signs. */
export const LEDGER_ORIGIN = DEFAULT_CHECKPOINT_ORIGIN;

export interface AuditLedger {
  readonly engine: 'sqlite' | 'postgres';
  /** `--db` for the CLI. */
  readonly db: string;
  /** The checkpoint signing key (PEM); beside the file on SQLite, where the CLI looks by default. */
  readonly keyPath: string;
  /** `--key` for `checkpoint create` (undefined: the default beside a SQLite file). */
  readonly signingKey: string | undefined;
  /** `--key` for `ledger verify`: on PostgreSQL the verifier key string, as an auditor holds it. */
  readonly verifyKey: string | undefined;
  store(): Promise<EvidenceStore>;
  /** The API's read side and token table on this ledger, closed after the test. */
  readSide(): Promise<ReadSide>;
  tokens(): Promise<TokenStore>;
  /** Overwrites rows' data, prev_hash and hash. */
  rewrite(rows: readonly { seq: number; data: string; prevHash: string; hash: string }[]): Promise<void>;
  deleteFrom(seq: number): Promise<void>;
  checkpoints(): Promise<{ id: number; treeSize: number; note: string }[]>;
  /** Overwrites a checkpoint row's root and note (an attacker re-signing). */
  setCheckpoint(id: number, rootHash: string, note: string): Promise<void>;
}

export function sqliteAuditLedger(): AuditLedger {
  const dir = mkdtempSync(join(tmpdir(), 'consentline-audit-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ledger.sqlite');
  const raw = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(path);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    engine: 'sqlite',
    db: path,
    keyPath: defaultCheckpointKeyPath(path),
    signingKey: undefined,
    verifyKey: undefined,
    store: () => openSqliteEvidenceStore({ path, writerThread: false }),
    async readSide() {
      const side = await openReadSide({ kind: 'sqlite', path });
      onTestFinished(() => side.close());
      return side;
    },
    async tokens() {
      const { db } = openSqlite({ path });
      onTestFinished(() => void db.close());
      return new SqliteTokenStore(db);
    },
    rewrite: async (rows) =>
      sqliteAttacker(path, (db) => {
        const st = db.prepare('UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE seq = ?');
        for (const r of rows) st.run(r.data, r.prevHash, r.hash, r.seq);
      }),
    deleteFrom: async (seq) => sqliteAttacker(path, (db) => void db.prepare('DELETE FROM events WHERE seq >= ?').run(seq)),
    checkpoints: async () => raw((db) => db.prepare('SELECT id, tree_size AS treeSize, note FROM checkpoints ORDER BY tree_size').all() as { id: number; treeSize: number; note: string }[]),
    setCheckpoint: async (id, rootHash, note) => raw((db) => void db.prepare('UPDATE checkpoints SET root_hash = ?, note = ? WHERE id = ?').run(rootHash, note, id)),
  };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The CLI takes a database URL, not a schema: each ledger is a database of its own. */
export async function pgAuditLedger(): Promise<AuditLedger> {
  const name = `cl_audit_${randomBytes(5).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'consentline-audit-pg-'));
  await withClient(`${PG_SERVER}/postgres`, (c) => c.query(`CREATE DATABASE ${name}`));
  onTestFinished(async () => {
    rmSync(dir, { recursive: true, force: true });
    await withClient(`${PG_SERVER}/postgres`, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  const url = `${PG_SERVER}/${name}`;
  const keyPath = join(dir, 'checkpoint.pem');
  const { signer } = loadOrCreateSigner(keyPath, DEFAULT_CHECKPOINT_ORIGIN);
  const attacker = (fn: (c: pg.Client) => Promise<unknown>) =>
    withClient(url, async (c) => {
      await c.query('DROP TRIGGER IF EXISTS events_no_update ON events; DROP TRIGGER IF EXISTS events_no_delete ON events');
      await fn(c);
    });
  return {
    engine: 'postgres',
    db: url,
    keyPath,
    signingKey: keyPath,
    verifyKey: signer.verifierKey,
    store: () => openPgEvidenceStore({ url, max: 2 }),
    async readSide() {
      const side = await openReadSide({ kind: 'postgres', url }, { poolSize: 3 });
      onTestFinished(() => side.close());
      return side;
    },
    async tokens() {
      const { pool } = await openPg({ url, max: 1 });
      onTestFinished(() => pool.end());
      return new PgTokenStore(pool);
    },
    rewrite: (rows) =>
      attacker(async (c) => {
        for (const r of rows) await c.query('UPDATE events SET data = $1, prev_hash = $2, hash = $3 WHERE seq = $4', [r.data, r.prevHash, r.hash, r.seq]);
      }),
    deleteFrom: (seq) => attacker((c) => c.query('DELETE FROM events WHERE seq >= $1', [seq])),
    checkpoints: () => withClient(url, async (c) => (await c.query('SELECT id::int, tree_size::int AS "treeSize", note FROM checkpoints ORDER BY tree_size')).rows),
    setCheckpoint: (id, rootHash, note) => attacker((c) => c.query('UPDATE checkpoints SET root_hash = $1, note = $2 WHERE id = $3', [rootHash, note, id])),
  };
}

export async function appendEvents(ledger: AuditLedger, n: number): Promise<void> {
  const store = await ledger.store();
  try {
    for (let i = 0; i < n; i++) await store.append({ callId: `c-${i % 3}`, kind: 'prompt.played', data: { step: 'notice', i } });
  } finally {
    await store.close();
  }
}

async function allEvents(ledger: AuditLedger): Promise<StoredEvent[]> {
  const store = await ledger.store();
  try {
    const out: StoredEvent[] = [];
    for await (const e of store.events()) out.push(e);
    return out;
  } finally {
    await store.close();
  }
}

/** Changes event `from`'s data and recomputes every hash from there on: the chain stays consistent. */
export async function rewriteFrom(ledger: AuditLedger, from: number): Promise<void> {
  const all = await allEvents(ledger);
  let prevHash = all[from - 2]?.hash ?? '0'.repeat(64);
  const rows = [];
  for (const e of all.slice(from - 1)) {
    const data = e.seq === from ? { ...e.data, step: 'forged' } : e.data;
    const hash = hashEvent(prevHash, { ...e, data });
    rows.push({ seq: e.seq, data: JSON.stringify(data), prevHash, hash });
    prevHash = hash;
  }
  await ledger.rewrite(rows);
}

/** MTH of the ledger's first `size` events as they are stored now. */
export async function treeRootOf(ledger: AuditLedger, size: number): Promise<Buffer> {
  const leaves = (await allEvents(ledger)).slice(0, size).map((e) => eventLeafHash(e.hash));
  return treeRoot(new MemoryTree(leaves), size);
}

/** A flipped bit in a signed note's last signature, its key hash left alone. */
export function flipSignatureBit(note: string): string {
  const lines = note.split('\n');
  const sig = Buffer.from(lines.at(-2)!.split(' ').at(-1)!, 'base64');
  sig[10]! ^= 1;
  lines[lines.length - 2] = lines.at(-2)!.replace(/\S+$/, sig.toString('base64'));
  return lines.join('\n');
}
