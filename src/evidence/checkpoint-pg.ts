import { availableParallelism } from 'node:os';
import type { PgPool, PgQueryable } from '../db/pg.js';
import { startSiblingWorker } from '../shared/worker-thread.js';
import { SCAN_THREAD_LIMITS, scanPageRows, type ChainRowPages, type ScanOptions, type ScanThreads } from './chain-scan-pool.js';
import type { Checkpoint, CheckpointLock, CheckpointRepo } from './checkpoint.js';
import { toCheckpoint, type CheckpointRow } from './checkpoint-rows.js';
import { CACHE_LEVEL, CachedLedgerTree, type MerkleNodeStore } from './merkle-cache.js';
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
  constructor(db: PgQueryable, target?: PgScanTarget) {
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

/** Pages of stored rows from PostgreSQL (seq as a number, data as the stored text: the pool's parsers). */
export function pgChainRows(db: PgQueryable): ChainRowPages {
  const pageRows = scanPageRows();
  return async function* (from, to) {
    for (let next = from; next <= to; ) {
      const { rows } = await db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`, [next, to, pageRows]);
      if (rows.length > 0) yield rows;
      if (rows.length < pageRows) return;
      next = rows[rows.length - 1]!.seq + 1;
    }
  };
}

function pgMerkleNodes(db: PgQueryable): MerkleNodeStore {
  return {
    async headSeq() {
      return (await db.query<{ seq: number }>('SELECT coalesce(max(seq), 0) AS seq FROM events')).rows[0]!.seq;
    },
    async leafRows(start, end) {
      return (await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq', [start, end])).rows;
    },
    eventRows: pgChainRows(db),
    async node(level, idx) {
      return (await db.query<{ hash: Buffer }>('SELECT hash FROM merkle_nodes WHERE level = $1 AND idx = $2', [level, idx])).rows[0]?.hash ?? null;
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
