import { availableParallelism } from 'node:os';
import type { PgPool, PgQueryable } from '../db/pg.js';
import { startSiblingWorker } from '../shared/worker-thread.js';
import { SCAN_THREAD_LIMITS, scanPageRows, type ChainRows, type ScanOptions, type ScanThreads } from './chain-scan-pool.js';
import type { Checkpoint, CheckpointLock, CheckpointRepo } from './checkpoint.js';
import { toCheckpoint, type CheckpointRow } from './checkpoint-rows.js';
import { CACHE_LEVEL, CachedLedgerTree, type MerkleNodeStore } from './merkle-cache.js';
import type { ScanRow } from './chain-scan.js';
import { EVENT_COLUMNS, type EventRow } from './sqlite-rows.js';


/** Where scan threads connect: the read side's own URL and schema. */
export interface PgScanTarget extends ScanOptions {
  readonly url: string;
  readonly schema?: string;
}

/**
 * The ledger's Merkle tree on PostgreSQL, its subtree cache in `merkle_nodes`. Given the
 * database's URL, a long scan (a first checkpoint) runs on scan threads with connections of their own.
 */
export class PgLedgerTree extends CachedLedgerTree {
  constructor(db: PgPool, target?: PgScanTarget) {
    super(pgMerkleNodes(db), target ? pgScanThreads(target) : undefined);
  }
}

function pgScanThreads(target: PgScanTarget): ScanThreads {
  const { threads = availableParallelism(), threadedFrom, ...open } = target;
  return {
    threads,
    ...(threadedFrom === undefined ? {} : { threadedFrom }),
    start: () => startSiblingWorker(import.meta.url, 'chain-scan-pg-worker', open, SCAN_THREAD_LIMITS),
  };
}

/** The link text of a {@link ScanRow} as PostgreSQL puts it together (to_json escapes as JSON does). */
const PG_LINK = `CASE WHEN length(prev_hash) = 64 THEN prev_hash || '{"at":' || to_json(at)::text || ',"callId":' || coalesce(to_json(call_id)::text, 'null')
  || ',"data":' || data::text || ',"kind":' || to_json(kind)::text || ',"seq":' || seq || '}' END`;
/** The column types the link text is written for; a table altered since leaves every row to the exact path. */
const LINK_COLUMNS = 'at:text,call_id:text,data:json,hash:text,kind:text,prev_hash:text,seq:bigint';

/** A scan's reads from PostgreSQL (seq as a number, data as the stored text: the pool's parsers). */
export function pgChainRows(db: PgPool): ChainRows {
  const pageRows = scanPageRows();
  let link: Promise<string> | null = null;
  const linkSql = async () => {
    const { rows } = await db.query<{ columns: string | null }>(
      `SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' ORDER BY attname) AS columns
       FROM pg_attribute WHERE attrelid = 'events'::regclass AND attnum > 0 AND NOT attisdropped`,
    );
    return rows[0]?.columns === LINK_COLUMNS ? PG_LINK : 'NULL::text';
  };
  return {
    async *pages(from, to) {
      // Asked once per connection's reader; a failed look-up is asked again next time.
      link ??= linkSql().catch((err: unknown) => {
        link = null;
        throw err;
      });
      const sql = `SELECT seq, hash, ${await link} FROM events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`;
      for (let next = from; next <= to; ) {
        const { rows } = await db.query<[number, string, string | null]>({ text: sql, values: [next, to, pageRows], rowMode: 'array' });
        if (rows.length > 0) yield rows;
        if (rows.length < pageRows) return;
        next = rows[rows.length - 1]![0] + 1;
      }
    },
    async row(seq) {
      return (await db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq = $1`, [seq])).rows[0];
    },
  };
}

function pgMerkleNodes(db: PgPool): MerkleNodeStore {
  return {
    async headSeq() {
      return (await db.query<{ seq: number }>('SELECT coalesce(max(seq), 0) AS seq FROM events')).rows[0]!.seq;
    },
    async leafRows(start, end) {
      return (await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq', [start, end])).rows;
    },
    eventRows: pgChainRows(db),
    async nodes(keys) {
      // One round trip for a whole audit path (some twenty nodes), not one per node.
      const { rows } = await db.query<{ level: number; idx: number; hash: Buffer }>(
        'SELECT level, idx, hash FROM merkle_nodes WHERE (level, idx) IN (SELECT * FROM unnest($1::int[], $2::bigint[]))',
        [keys.map((k) => k[0]), keys.map((k) => k[1])],
      );
      const found = new Map(rows.map((r) => [`${r.level}:${r.idx}`, r.hash]));
      return keys.map(([level, idx]) => found.get(`${level}:${idx}`) ?? null);
    },
    async lastBlock() {
      return (await db.query<{ idx: number }>('SELECT coalesce(max(idx), -1) AS idx FROM merkle_nodes WHERE level = $1', [CACHE_LEVEL])).rows[0]!.idx;
    },
    async saveNodes(nodes) {
      // One statement, so one transaction; instances extending together write equal rows.
      await db.query(
        `INSERT INTO merkle_nodes (level, idx, hash)
         SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[]) ON CONFLICT (level, idx) DO NOTHING`,
        [nodes.map((n) => n.level), nodes.map((n) => n.idx), nodes.map((n) => n.hash)],
      );
    },
  };
}

/** {@link CheckpointRepo} on PostgreSQL (tables from migrations/postgres/0010). */
export class PgCheckpointRepo implements CheckpointRepo {
  readonly #db: PgQueryable;

  constructor(db: PgQueryable) {
    this.#db = db;
  }

  latest() {
    return this.#one('SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1', []);
  }

  bySize(treeSize: number) {
    return this.#one('SELECT * FROM checkpoints WHERE tree_size = $1 ORDER BY id DESC LIMIT 1', [treeSize]);
  }

  covering(treeSize: number) {
    return this.#one('SELECT * FROM checkpoints WHERE tree_size >= $1 ORDER BY tree_size, id DESC LIMIT 1', [treeSize]);
  }

  async page(after: { readonly treeSize: number; readonly id: number }, limit: number): Promise<Checkpoint[]> {
    const { rows } = await this.#db.query<CheckpointRow>(
      'SELECT * FROM checkpoints WHERE tree_size > $1 OR (tree_size = $1 AND id > $2) ORDER BY tree_size, id LIMIT $3',
      [after.treeSize, after.id, limit],
    );
    return rows.map(toCheckpoint);
  }

  /**
   * Stores a checkpoint. When one of that tree size is already there (a writer that did not
   * take the checkpoint lock), that one is kept and returned: both sign the same root.
   */
  async insert(cp: Omit<Checkpoint, 'id'>): Promise<Checkpoint> {
    const inserted = await this.#one(
      `INSERT INTO checkpoints (tree_size, root_hash, origin, key_id, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tree_size) DO NOTHING RETURNING *`,
      [cp.treeSize, cp.rootHash, cp.origin, cp.keyId, cp.note, cp.createdAt],
    );
    const stored = inserted ?? (await this.bySize(cp.treeSize));
    if (!stored) throw new Error(`checkpoint at tree size ${cp.treeSize} neither inserted nor found`);
    return stored;
  }

  async #one(sql: string, values: unknown[]): Promise<Checkpoint | null> {
    const row = (await this.#db.query<CheckpointRow>(sql, values)).rows[0];
    return row ? toCheckpoint(row) : null;
  }
}

/** The advisory lock name that makes one instance at a time sign on a ledger (one schema). */
export function checkpointLockName(schema: string | undefined): string {
  return `consentline.checkpoints:${schema ?? ''}`;
}

/**
 * A {@link CheckpointLock} across every instance on the database: a session advisory lock
 * on a connection of its own, held while one checkpoint is made. Session-level, not
 * transaction-level, because verifying since the last checkpoint may outlast
 * idle_in_transaction_session_timeout; a process that dies drops its session and the lock.
 * The pool needs a second connection for the work done under the lock.
 */
export class PgCheckpointLock implements CheckpointLock {
  readonly #pool: PgPool;
  readonly #name: string;

  constructor(pool: PgPool, schema?: string) {
    this.#pool = pool;
    this.#name = checkpointLockName(schema);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let healthy = false;
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [this.#name]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.#name]);
        healthy = true;
      }
    } finally {
      // A connection that may still hold the lock is closed rather than pooled: closing drops it.
      client.release(!healthy);
    }
  }
}
