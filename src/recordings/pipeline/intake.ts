import { randomUUID } from 'node:crypto';
import type { AmiWatcher } from '../ami/watcher.js';
import type { RecordingFileKnown, RecordingStarted, RecordingStopped } from '../ami/events.js';
import { listedNames, type IntakePorts } from './intake-ports.js';
import { iso } from './options.js';
import type { NewRecording } from './repo.js';
import { asCallId, callIdFromFileName } from './names.js';

/**
 * The AMI intake: capture (a recording started → a `captured` row) and spool (its file closed →
 * `spooled`), each with its ledger event. Events are handled one at a time, in order.
 */
export class AmiIntake {
  readonly #p: IntakePorts;
  readonly #pending = new Map<string, RecordingStarted>();
  #handled: Promise<void> = Promise.resolve();

  constructor(ports: IntakePorts) {
    this.#p = ports;
  }

  /** Subscribes to the watcher; returns the unsubscribe functions. */
  subscribe(w: AmiWatcher): (() => void)[] {
    return [
      w.on('recordingStarted', (e) => this.#enqueue(() => this.#onStarted(e))),
      w.on('recordingFileKnown', (e) => this.#enqueue(() => this.#onFileKnown(e))),
      w.on('recordingStopped', (e) => this.#enqueue(() => this.#onStopped(e))),
    ];
  }

  /** Resolves when every event received so far is handled. */
  idle(): Promise<void> {
    return this.#handled;
  }

  #enqueue(fn: () => Promise<void>): void {
    if (this.#p.stopped()) return;
    this.#handled = this.#handled.then(fn).catch((err: unknown) => {
      this.#p.log.error({ err }, 'recording event could not be handled');
    });
  }

  async #onStarted(e: RecordingStarted): Promise<void> {
    if (e.file === undefined) {
      this.#pending.set(e.uniqueid, e);
      return;
    }
    await this.#capture(e, e.file);
  }

  async #onFileKnown(e: RecordingFileKnown): Promise<void> {
    const started = this.#pending.get(e.uniqueid);
    if (!started) return;
    this.#pending.delete(e.uniqueid);
    await this.#capture(started, e.path);
  }

  async #checkName(reported: string, ids: { uniqueid: string; linkedid: string }): Promise<string | null> {
    const check = await this.#p.source.nameOf(reported);
    if (check.status === 'ok') return check.name;
    this.#p.log.warn({ ...ids, reason: check.reason }, 'recording file name refused: not read, not deleted');
    this.#p.metrics?.failures.inc({ kind: 'recording_name_refused' });
    return null;
  }

  async #capture(e: RecordingStarted, file: string): Promise<void> {
    const name = await this.#checkName(file, e);
    if (name === null) return;
    const now = iso(this.#p.clock.now());
    const { row, created } = await this.#p.repo.insert(this.#newRow(e, name, { state: 'captured', startedAt: now }), now);
    // Same channel again (the start re-reported after a restart): the event is written at most once.
    // Another instance that got the same AMI event and inserted the row writes it under its claim.
    if (!created && (row.channel_uniqueid !== e.uniqueid || this.#p.claims.heldElsewhere(row, now) || !this.#p.claims.onOurSpool(row))) return;
    if (!created) return this.#p.ledger.started(row);
    this.#p.log.info({ recordingId: row.id, callId: row.call_id, uniqueid: e.uniqueid }, 'recording captured');
    await this.#p.ledger.announce(row.id, () => this.#p.ledger.started(row));
  }

  async #onStopped(e: RecordingStopped): Promise<void> {
    const pending = this.#pending.get(e.uniqueid);
    this.#pending.delete(e.uniqueid);
    const file = e.file ?? pending?.file;
    if (file === undefined) {
      this.#p.log.warn({ uniqueid: e.uniqueid, linkedid: e.linkedid }, 'recording ended without a known file name; the spool scan will pick it up');
      return;
    }
    const name = await this.#checkName(file, e);
    if (name === null) return;
    const now = iso(this.#p.clock.now());
    let row = await this.#p.repo.liveBySource(this.#p.source.kind, name);
    let wasCaptured = false;
    if (!row) {
      // Stored already and gone from the source: another instance got this stop too and was first.
      if ((await this.#p.repo.hasFinished(this.#p.source.kind, name)) && !(await listedNames(this.#p.source)).has(name)) return;
      const inserted = await this.#p.repo.insert(this.#newRow(e, name, { state: 'spooled', startedAt: now, stoppedAt: now, stopReason: e.reason }), now);
      // Not created: the scan (here or on another instance) was first and announces it.
      if (!inserted.created) return;
      row = inserted.row;
    } else if (row.state === 'captured' && this.#p.claims.onOurSpool(row)) {
      wasCaptured = true;
      const closed = await this.#p.repo.markSpooled(row.id, now, e.reason, now, this.#p.claims.hold());
      if (!closed) return;
      row = closed;
    } else {
      return;
    }
    const spooled = row;
    await this.#p.queue.moved();
    this.#p.log.info({ recordingId: row.id, callId: row.call_id, reason: e.reason, recovered: e.recovered ?? false }, 'recording spooled');
    await this.#p.ledger.announce(row.id, () => this.#p.ledger.stopped(spooled, { reason: e.reason, ...(e.recovered ? { recovered: true } : {}) }, wasCaptured));
    this.#p.poke();
  }

  /** A row for a recording AMI reported, claimed by this instance until its event is written. */
  #newRow(e: RecordingStarted | RecordingStopped, name: string, at: Pick<NewRecording, 'state' | 'startedAt' | 'stoppedAt' | 'stopReason'>): NewRecording {
    const id = randomUUID();
    const callId = asCallId(e.consentId) ?? (e.consentId === undefined ? callIdFromFileName(name) : null);
    return {
      id,
      callId,
      source: this.#p.source.kind,
      sourceName: name,
      foundBy: 'ami',
      uniqueid: e.uniqueid,
      linkedid: e.linkedid,
      ...at,
      contextId: callId ?? id,
      spoolId: this.#p.claims.spoolId,
      claim: this.#p.claims.hold(),
    };
  }
}
