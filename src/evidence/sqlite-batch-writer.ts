import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/sqlite.js';
import { canonicalBodyFromParts, GENESIS_HASH, linkHash } from './chain.js';
import { EVENT_COLUMNS } from './sqlite-rows.js';
import type { PreparedAppend } from './prepare.js';

/** Where one appended event landed in the chain. */
export interface ChainSlot {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** What crosses to the writer thread: a prepared append without its parsed copy of the data. */
export type WireAppend = Omit<PreparedAppend, 'data'>;

/**
 * Writes one batch of appends in one IMMEDIATE transaction: the head is read under the
 * write lock, so even a second process on the same file cannot fork the chain. Runs on the
 * writer thread (or inline); knows nothing of queues or promises.
 */
export class SqliteBatchWriter {
  readonly #db: SqliteDatabase;
  readonly #st: ReturnType<typeof statements>;
  readonly #tx: (items: readonly WireAppend[]) => ChainSlot[];

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#st = statements(db);
    const tx = db.transaction((items: readonly WireAppend[]) => this.#insert(items));
    this.#tx = (items) => tx.immediate(items);
  }

  write(items: readonly WireAppend[]): ChainSlot[] {
    return this.#tx(items);
  }

  close(): void {
    this.#db.close();
  }

  #insert(items: readonly WireAppend[]): ChainSlot[] {
    const head = this.#st.head.get() as { seq: number; hash: string } | undefined;
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    const out: ChainSlot[] = [];
    for (const it of items) {
      seq += 1;
      const hash = linkHash(prevHash, canonicalBodyFromParts(seq, it.callId, it.at, it.kind, it.dataJson));
      // Side writes first, as on PostgreSQL: a trigger on the event may read its subject.
      this.#applyEffects(it);
      this.#st.insertEvent.run(seq, it.callId, it.at, it.kind, it.dataJson, prevHash, hash);
      out.push({ seq, prevHash, hash });
      prevHash = hash;
    }
    return out;
  }

  #applyEffects(it: WireAppend): void {
    const { subject, callOpen, callPatch } = it.effects;
    if (subject) {
      this.#st.insertSubject.run(subject.commitment, subject.lookupKey, subject.masked, subject.e164, subject.salt, it.callId);
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
      this.#st.setCaller.run(subject.lookupKey, subject.masked, it.callId);
    }
    if (callPatch) {
      const flag = (v: unknown): number => (v === undefined ? 0 : 1);
      this.#st.patchCall.run({
        callId: it.callId,
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
