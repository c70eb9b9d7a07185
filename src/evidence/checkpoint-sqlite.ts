import { availableParallelism } from 'node:os';
import type { SqliteDatabase } from '../db/sqlite.js';
import { startSiblingWorker } from '../shared/worker-thread.js';
import { SCAN_THREAD_LIMITS, scanPageRows, type ChainRows, type ScanOptions, type ScanThreads } from './chain-scan-pool.js';
import type { Checkpoint, CheckpointRepo } from './checkpoint.js';
import { toCheckpoint, type CheckpointRow } from './checkpoint-rows.js';
import { CACHE_LEVEL, CachedLedgerTree, type MerkleNodeStore } from './merkle-cache.js';
import type { ScanRow } from './chain-scan.js';
import { EVENT_COLUMNS, type EventRow } from './sqlite-rows.js';

export { LedgerGapError } from './merkle-cache.js';


/**
 * The ledger's Merkle tree on SQLite, its subtree cache in `merkle_nodes`. Given the file's
 * path, a long scan (a first checkpoint) runs on scan threads with connections of their own.
 */
export class SqliteLedgerTree extends CachedLedgerTree {
  constructor(db: SqliteDatabase, opts: ScanOptions & { readonly path?: string } = {}) {
    const { path, ...scan } = opts;
    super(sqliteMerkleNodes(db), path === undefined || path === ':memory:' ? undefined : sqliteScanThreads(path, scan));
  }
}

/** Scan threads on the SQLite file at `path`. */
function sqliteScanThreads(path: string, opts: ScanOptions): ScanThreads {
  return {
    threads: opts.threads ?? availableParallelism(),
    ...(opts.threadedFrom === undefined ? {} : { threadedFrom: opts.threadedFrom }),
    start: () => startSiblingWorker(import.meta.url, 'chain-scan-sqlite-worker', { path }, SCAN_THREAD_LIMITS),
  };
}

/**
 * The link text of a {@link ScanRow} as SQLite puts it together (json_quote escapes as JSON does;
 * it writes null for NULL), in one concat() rather than a copy per `||`. Fields of another type
 * than the schema's (then concat() could skip a NULL) are left to the exact path.
 */
const SQLITE_LINK = `CASE WHEN typeof(prev_hash) = 'text' AND length(prev_hash) = 64 AND typeof(at) = 'text' AND typeof(kind) = 'text'
  AND typeof(data) = 'text' AND typeof(call_id) IN ('text', 'null')
  THEN concat(prev_hash, '{"at":', json_quote(at), ',"callId":', json_quote(call_id), ',"data":', data, ',"kind":', json_quote(kind), ',"seq":', seq, '}') END`;

/** A scan's reads from a SQLite connection, giving way to other work between pages. */
export function sqliteChainRows(db: SqliteDatabase): ChainRows {
  const page = db.prepare<[number, number, number], ScanRow>(`SELECT seq, hash, ${SQLITE_LINK} FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`).raw();
  const whole = db.prepare<[number], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq = ?`);
  const pageRows = scanPageRows();
  return {
    async *pages(from, to) {
      for (let next = from; next <= to; ) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        const rows = page.all(next, to, pageRows);
        if (rows.length > 0) yield rows;
        if (rows.length < pageRows) return;
        next = rows[rows.length - 1]![0] + 1;
      }
    },
    row: async (seq) => whole.get(seq),
  };
}

function sqliteMerkleNodes(db: SqliteDatabase): MerkleNodeStore {
  const st = {
    head: db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM events'),
    leaves: db.prepare<[number, number], { seq: number; hash: string }>('SELECT seq, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq'),
    rows: sqliteChainRows(db),
    node: db.prepare<[number, number], { hash: Buffer }>('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?'),
    lastBlock: db.prepare<[number], { idx: number | null }>('SELECT max(idx) AS idx FROM merkle_nodes WHERE level = ?'),
    insert: db.prepare('INSERT OR IGNORE INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)'),
  };
  return {
    headSeq: async () => st.head.get()?.seq ?? 0,
    leafRows: async (start, end) => st.leaves.all(start, end),
    eventRows: st.rows,
    nodes: async (keys) => keys.map(([level, idx]) => st.node.get(level, idx)?.hash ?? null),
    lastBlock: async () => st.lastBlock.get(CACHE_LEVEL)?.idx ?? -1,
    saveNodes: async (nodes) => {
      // IMMEDIATE: the evidence writer may hold its own connection to this file.
      db.transaction(() => {
        for (const n of nodes) st.insert.run(n.level, n.idx, n.hash);
      }).immediate();
    },
  };
}

export class SqliteCheckpointRepo implements CheckpointRepo {
  readonly #st;

  constructor(db: SqliteDatabase) {
    this.#st = {
      latest: db.prepare<[], CheckpointRow>('SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1'),
      bySize: db.prepare<[number], CheckpointRow>('SELECT * FROM checkpoints WHERE tree_size = ? ORDER BY id DESC LIMIT 1'),
      covering: db.prepare<[number], CheckpointRow>('SELECT * FROM checkpoints WHERE tree_size >= ? ORDER BY tree_size, id DESC LIMIT 1'),
      page: db.prepare<[number, number, number, number], CheckpointRow>(
        'SELECT * FROM checkpoints WHERE tree_size > ? OR (tree_size = ? AND id > ?) ORDER BY tree_size, id LIMIT ?',
      ),
      insert: db.prepare(
        'INSERT INTO checkpoints (tree_size, root_hash, origin, key_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
    };
  }

  async latest() {
    const r = this.#st.latest.get();
    return r ? toCheckpoint(r) : null;
  }

  async bySize(treeSize: number) {
    const r = this.#st.bySize.get(treeSize);
    return r ? toCheckpoint(r) : null;
  }

  async covering(treeSize: number) {
    const r = this.#st.covering.get(treeSize);
    return r ? toCheckpoint(r) : null;
  }

  async page(after: { readonly treeSize: number; readonly id: number }, limit: number) {
    return this.#st.page.all(after.treeSize, after.treeSize, after.id, limit).map(toCheckpoint);
  }

  async insert(cp: Omit<Checkpoint, 'id'>) {
    const r = this.#st.insert.run(cp.treeSize, cp.rootHash, cp.origin, cp.keyId, cp.note, cp.createdAt);
    return { id: Number(r.lastInsertRowid), ...cp };
  }
}
