import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/sqlite.js';
import { canonicalBodyFromParts, GENESIS_HASH, linkHash } from './chain.js';
import { EVENT_COLUMNS } from './sqlite-rows.js';
import type { PreparedAppend } from './prepare.js';
import type { AppendEffects } from './store.js';

/** Where one appended event landed in the chain. */
export interface ChainSlot {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * Where a batch landed, compactly (it crosses back from the writer thread): item i got seq
 * `firstSeq + i` and hash `hashes[i]`, and links to `hashes[i - 1]` (to `prevHash` for i = 0).
 */
export interface ChainRun {
  readonly firstSeq: number;
  readonly prevHash: string;
  readonly hashes: readonly string[];
}

/** The slot of each item of a run, in order. */
export function chainSlots(run: ChainRun): ChainSlot[] {
  const out: ChainSlot[] = new Array(run.hashes.length);
  let prevHash = run.prevHash;
  for (let i = 0; i < run.hashes.length; i++) {
    const hash = run.hashes[i]!;
    out[i] = { seq: run.firstSeq + i, prevHash, hash };
    prevHash = hash;
  }
  return out;
}

/**
 * What the writer needs of a prepared append: no parsed copy of the data, and effects only
 * when there are any (most events have none, and the writer thread is sent less).
 */
export interface WireAppend {
  readonly callId: string | null;
  readonly at: string;
  readonly kind: PreparedAppend['kind'];
  readonly dataJson: string;
  readonly effects?: AppendEffects;
}

/**
 * Writes one batch of appends in one IMMEDIATE transaction: the head is read under the
 * write lock, so even a second process on the same file cannot fork the chain. Runs on the
 * writer thread (or inline); knows nothing of queues or promises.
 */
export class SqliteBatchWriter {
  readonly #db: SqliteDatabase;
  readonly #st: ReturnType<typeof statements>;
  readonly #tx: (items: readonly WireAppend[]) => ChainRun;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#st = statements(db);
    const tx = db.transaction((items: readonly WireAppend[]) => this.#insert(items));
    this.#tx = (items) => tx.immediate(items);
  }

  write(items: readonly WireAppend[]): ChainRun {
    return this.#tx(items);
  }

  close(): void {
    this.#db.close();
  }

  #insert(items: readonly WireAppend[]): ChainRun {
    const head = this.#st.head.get() as { seq: number; hash: string } | undefined;
    const firstSeq = (head?.seq ?? 0) + 1;
    const first = head?.hash ?? GENESIS_HASH;
    let prevHash = first;
    const hashes: string[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      const seq = firstSeq + i;
      const hash = linkHash(prevHash, canonicalBodyFromParts(seq, it.callId, it.at, it.kind, it.dataJson));
      // Side writes first, as on PostgreSQL: a trigger on the event may read its subject.
      if (it.effects) this.#applyEffects(it.callId, it.effects);
      this.#st.insertEvent.run(seq, it.callId, it.at, it.kind, it.dataJson, prevHash, hash);
      hashes[i] = hash;
      prevHash = hash;
    }
    return { firstSeq, prevHash: first, hashes };
  }

  #applyEffects(callId: string | null, effects: AppendEffects): void {
    const { subject, callOpen, callPatch } = effects;
    if (subject) {
      this.#st.insertSubject.run(subject.commitment, subject.lookupKey, subject.masked, subject.e164, subject.salt, callId);
    }
    if (callOpen) {
      this.#st.openCall.run({
        callId: callOpen.callId,
        startedAt: callOpen.startedAt,
        flowId: callOpen.flowId,
        did: callOpen.did,
        callerLookup: subject?.lookupKey ?? null,
        callerMasked: subject?.masked ?? null,
        language: callOpen.language,
        legalBasis: callOpen.legalBasis,
        server: callOpen.server,
      });
    } else if (subject) {
      this.#st.setCaller.run(subject.lookupKey, subject.masked, callId);
    }
    if (callPatch) {
      const flag = (v: unknown): number => (v === undefined ? 0 : 1);
      this.#st.patchCall.run({
        callId,
        setOutcome: flag(callPatch.outcome),
        outcome: callPatch.outcome ?? null,
        setRecording: flag(callPatch.recording),
        recording: callPatch.recording ?? null,
        setMarketing: flag(callPatch.marketing),
        marketing: callPatch.marketing ?? null,
        setEndedAt: flag(callPatch.endedAt),
        endedAt: callPatch.endedAt ?? null,
        setLanguage: flag(callPatch.language),
        language: callPatch.language ?? null,
      });
    }
  }
}

function statements(db: SqliteDatabase) {
  const st = <T extends unknown[] | {} = unknown[]>(sql: string): Statement<T> => db.prepare<T>(sql);
  return {
    head: st('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1'),
    insertEvent: st(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    insertSubject: st(
      'INSERT INTO subjects (commitment, lookup_key, masked, e164, salt, call_id) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    setCaller: st('UPDATE calls SET caller_lookup = ?, caller_masked = ? WHERE call_id = ?'),
    openCall: st<{}>(
      `INSERT INTO calls (call_id, started_at, flow_id, did, caller_lookup, caller_masked, language, legal_basis, server)
       VALUES (@callId, @startedAt, @flowId, @did, @callerLookup, @callerMasked, @language, @legalBasis, @server)`,
    ),
    patchCall: st<{}>(
      `UPDATE calls SET
         outcome = CASE WHEN @setOutcome THEN @outcome ELSE outcome END,
         recording = CASE WHEN @setRecording THEN @recording ELSE recording END,
         marketing = CASE WHEN @setMarketing THEN @marketing ELSE marketing END,
         ended_at = CASE WHEN @setEndedAt THEN @endedAt ELSE ended_at END,
         language = CASE WHEN @setLanguage THEN @language ELSE language END
       WHERE call_id = @callId`,
    ),
  };
}
