import type { EvidenceStore } from '../../evidence/store.js';
import type { EventKind, JsonValue } from '../../evidence/types.js';
import type { Logger } from '../../shared/log.js';
import type { RecordingRepository } from './repo.js';
import type { RecordingRow } from './row.js';

/** The pipeline's ledger events, each written at most once per recording (a retry after a crash looks first). */
export class RecordingLedger {
  readonly #repo: RecordingRepository;
  readonly #evidence: Pick<EvidenceStore, 'append'>;
  readonly #worker: string;
  readonly #log: Logger;
  /** Per recording, the start/stop ledger writes in progress: check-then-append runs one at a time. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(repo: RecordingRepository, evidence: Pick<EvidenceStore, 'append'>, worker: string, log: Logger) {
    this.#repo = repo;
    this.#evidence = evidence;
    this.#worker = worker;
    this.#log = log;
  }

  async write(kind: EventKind, row: RecordingRow, data: Record<string, JsonValue>, dedupe: boolean): Promise<void> {
    if (dedupe && (await this.#repo.hasEvent(kind, row.call_id, row.id))) return;
    await this.#evidence.append({ callId: row.call_id, kind, data: { recordingId: row.id, ...data } });
  }

  /** `recording.started`, once per recording (only recordings AMI saw start have one). */
  async started(row: RecordingRow): Promise<void> {
    await this.#oneAtATime(row.id, () => this.write('recording.started', row, { uniqueid: row.channel_uniqueid, source: row.source }, true));
  }

  /**
   * `recording.stopped`, once per recording. Called when the file is closed and again by the
   * encrypt step, so an append a crash cut off is made up after the restart (marked `recovered`)
   * and one already there is never written twice. Closing a `captured` row first makes up its
   * `recording.started` the same way.
   */
  async stopped(row: RecordingRow, data: Record<string, JsonValue>, afterCapture: boolean): Promise<void> {
    if (afterCapture) await this.started(row);
    await this.#oneAtATime(row.id, () => this.write('recording.stopped', row, data, true));
  }

  /** Writes a row's event under the claim taken by its insert or close, then releases the claim. */
  async announce(id: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } finally {
      await this.#repo.releaseClaim(id, this.#worker).catch((err: unknown) => this.#log.error({ err, recordingId: id }, 'could not release the claim on a recording'));
    }
  }

  /** The scan or AMI intake closing a recording can meet a worker making up its events. */
  async #oneAtATime(recordingId: string, write: () => Promise<void>): Promise<void> {
    const turn = (this.#writes.get(recordingId) ?? Promise.resolve()).catch(() => {}).then(write);
    this.#writes.set(recordingId, turn);
    try {
      await turn;
    } finally {
      if (this.#writes.get(recordingId) === turn) this.#writes.delete(recordingId);
    }
  }
}
